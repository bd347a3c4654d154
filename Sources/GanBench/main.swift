import Autograd
print(Kernels.blasDescription)
