// Tests for NN.
