// Tests for GAN.
