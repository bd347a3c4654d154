// Tests for Plotting.
