#!/usr/bin/env python3
"""The PyTorch side of WeightExchangeTests: the reference networks, written from their published architectures
(pytorch/examples dcgan/main.py `Generator` / `Discriminator`; junyanz/pytorch-CycleGAN-and-pix2pix
models/networks.py `ResnetGenerator` with ResnetBlock and `NLayerDiscriminator`, norm='instance', no dropout),
small widths, randomly initialised.

    exchange.py reference DIR   writes KIND.pth, KIND-names.safetensors (the state_dict as is) and KIND-io.safetensors
                                (an input x and the network's output y, in eval mode) for each KIND
    exchange.py outputs DIR     loads KIND-exported.pth into a fresh reference network and writes its output on
                                KIND-io.safetensors' x as KIND-torch.safetensors
"""
import functools
import sys

import torch
import torch.nn as nn
from safetensors.torch import load_file, save_file

NZ, NGF, NDF, NC = 8, 4, 4, 3


class DCGANGenerator(nn.Module):  # pytorch/examples dcgan/main.py Generator, 64x64
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(NZ, NGF * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(NGF * 8), nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 8, NGF * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(NGF * 4), nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 4, NGF * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(NGF * 2), nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 2, NGF, 4, 2, 1, bias=False), nn.BatchNorm2d(NGF), nn.ReLU(True),
            nn.ConvTranspose2d(NGF, NC, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, z):
        return self.main(z)


class DCGANDiscriminator(nn.Module):  # pytorch/examples dcgan/main.py Discriminator (sigmoid output)
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(NC, NDF, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF, NDF * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(NDF * 2), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 2, NDF * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(NDF * 4), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 4, NDF * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(NDF * 8), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid())

    def forward(self, x):
        return self.main(x).view(-1, 1).squeeze(1)


INSTANCE = functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)


class ResnetBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, padding=0, bias=True), INSTANCE(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, padding=0, bias=True), INSTANCE(dim))

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    def __init__(self, ngf=NGF, blocks=2):
        super().__init__()
        model = [nn.ReflectionPad2d(3), nn.Conv2d(NC, ngf, 7, padding=0, bias=True), INSTANCE(ngf), nn.ReLU(True)]
        for i in range(2):
            mult = 2 ** i
            model += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, bias=True),
                      INSTANCE(ngf * mult * 2), nn.ReLU(True)]
        model += [ResnetBlock(ngf * 4) for _ in range(blocks)]
        for i in range(2):
            mult = 2 ** (2 - i)
            model += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, stride=2, padding=1, output_padding=1,
                                         bias=True), INSTANCE(ngf * mult // 2), nn.ReLU(True)]
        model += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, NC, 7, padding=0), nn.Tanh()]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        return self.model(x)


class NLayerDiscriminator(nn.Module):
    def __init__(self, ndf=NDF, n_layers=3):
        super().__init__()
        sequence = [nn.Conv2d(NC, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers):
            previous, mult = mult, min(2 ** n, 8)
            sequence += [nn.Conv2d(ndf * previous, ndf * mult, 4, stride=2, padding=1, bias=True),
                         INSTANCE(ndf * mult), nn.LeakyReLU(0.2, True)]
        previous, mult = mult, min(2 ** n_layers, 8)
        sequence += [nn.Conv2d(ndf * previous, ndf * mult, 4, stride=1, padding=1, bias=True), INSTANCE(ndf * mult),
                     nn.LeakyReLU(0.2, True)]
        sequence += [nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=1)]
        self.model = nn.Sequential(*sequence)

    def forward(self, x):
        return self.model(x)


KINDS = {
    "dcgan-generator": (DCGANGenerator, lambda g: torch.randn(3, NZ, 1, 1, generator=g)),
    "dcgan-discriminator": (DCGANDiscriminator, lambda g: torch.rand(3, NC, 64, 64, generator=g) * 2 - 1),
    "cyclegan-generator": (ResnetGenerator, lambda g: torch.rand(2, NC, 32, 32, generator=g) * 2 - 1),
    "cyclegan-discriminator": (NLayerDiscriminator, lambda g: torch.rand(2, NC, 32, 32, generator=g) * 2 - 1),
}


def reference(folder):
    for index, (kind, (network, make_input)) in enumerate(KINDS.items()):
        torch.manual_seed(100 + index)
        model = network()
        with torch.no_grad():
            for module in model.modules():
                if isinstance(module, nn.BatchNorm2d):  # running statistics and affine terms that matter
                    module.running_mean.uniform_(-0.5, 0.5)
                    module.running_var.uniform_(0.5, 2.0)
                    module.weight.uniform_(0.5, 1.5)
                    module.bias.uniform_(-0.3, 0.3)
                    module.num_batches_tracked.fill_(7)
        model.eval()
        x = make_input(torch.Generator().manual_seed(200 + index))
        with torch.no_grad():
            y = model(x)
        torch.save(model.state_dict(), f"{folder}/{kind}.pth")
        save_file({n: t.contiguous() for n, t in model.state_dict().items()}, f"{folder}/{kind}-names.safetensors")
        save_file({"x": x.contiguous(), "y": y.contiguous()}, f"{folder}/{kind}-io.safetensors")


def outputs(folder):
    for kind, (network, _) in KINDS.items():
        model = network()
        model.load_state_dict(torch.load(f"{folder}/{kind}-exported.pth", weights_only=True), strict=True)
        model.eval()
        with torch.no_grad():
            y = model(load_file(f"{folder}/{kind}-io.safetensors")["x"])
        save_file({"y": y.contiguous()}, f"{folder}/{kind}-torch.safetensors")


if __name__ == "__main__":
    {"reference": reference, "outputs": outputs}[sys.argv[1]](sys.argv[2])
