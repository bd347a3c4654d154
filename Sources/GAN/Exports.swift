@_exported import Autograd
@_exported import NN
