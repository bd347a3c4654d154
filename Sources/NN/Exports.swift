// Every file that imports NN also sees the engine: `Tensor`, the ops and `SeededGenerator`.
@_exported import Autograd
