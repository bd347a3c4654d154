// Tests for Datasets.
