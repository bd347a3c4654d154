// The NN module: see ../../README.md and the module table in the course design.
