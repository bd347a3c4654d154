#!/usr/bin/env python3
"""The PyTorch side of WeightExchangeTests: the reference networks, written from their published architectures
(pytorch/examples dcgan/main.py `Generator` / `Discriminator`; junyanz/pytorch-CycleGAN-and-pix2pix
models/networks.py `ResnetGenerator` with ResnetBlock and `NLayerDiscriminator`, norm='instance', no dropout;
NVlabs/stylegan2-ada-pytorch training/networks.py `Generator` and `Discriminator` (architecture 'skip' and
'resnet', no classes, float32, conv_clamp 256 as its train.py sets it, noise_mode 'const'), with the resampling of
its torch_utils/ops/conv2d_resample.py and upfirdn2d.py written out as plain convolutions), small widths, randomly
initialised.

    exchange.py reference DIR   writes KIND.pth, KIND-names.safetensors (the state_dict as is) and KIND-io.safetensors
                                (an input x and the network's output y, in eval mode) for each KIND
    exchange.py outputs DIR     loads KIND-exported.pth into a fresh reference network and writes its output on
                                KIND-io.safetensors' x as KIND-torch.safetensors
"""
import functools
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
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


# --- StyleGAN2 (stylegan2-ada-pytorch's state_dict names; every layer's gains applied at run time)

SZ, SRES, SBASE, SMAX, SCLAMP = 16, 16, 256, 16, 256.0
FILTER = torch.outer(torch.tensor([1.0, 3, 3, 1]), torch.tensor([1.0, 3, 3, 1])) / 64  # setup_filter: sum 1


def act(x, gain=math.sqrt(2), clamp=SCLAMP, linear=False):  # bias_act: lrelu (0.2) or linear, times gain, clamped
    return ((x if linear else F.leaky_relu(x, 0.2)) * gain).clamp(-clamp, clamp)


def fir(x, padding, stride=1, gain=1.0):  # upfirdn2d with the [1, 3, 3, 1] filter, per channel
    c = x.shape[1]
    return F.conv2d(x, (FILTER * gain).expand(c, 1, 4, 4), stride=stride, padding=padding, groups=c)


class FullyConnected(nn.Module):
    def __init__(self, i, o, lr=1.0, bias_init=0.0, activation=False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(o, i) / lr)
        self.bias = nn.Parameter(torch.full([o], float(bias_init)))
        self.gain, self.lr, self.activation = lr / math.sqrt(i), lr, activation

    def forward(self, x):
        x = F.linear(x, self.weight * self.gain, self.bias * self.lr)
        return act(x, clamp=math.inf) if self.activation else x


class Mapping(nn.Module):
    def __init__(self, z_dim, w_dim, layers):
        super().__init__()
        self.layers = layers
        for i in range(layers):
            setattr(self, f"fc{i}", FullyConnected(z_dim if i == 0 else w_dim, w_dim, lr=0.01, activation=True))
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(self, z):
        x = z * (z.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()
        for i in range(self.layers):
            x = getattr(self, f"fc{i}")(x)
        return x


def modulated_conv(x, weight, styles, demodulate, up=False):
    n = x.shape[0]
    w = weight.unsqueeze(0) * styles.reshape(n, 1, -1, 1, 1)  # [N, O, I, k, k]
    if demodulate:
        w = w * (w.square().sum(dim=[2, 3, 4], keepdim=True) + 1e-8).rsqrt()
    x = x.reshape(1, -1, *x.shape[2:])
    if up:  # transposed convolution, stride 2, with the weight as [I, O, k, k], then the filter (padding 1, gain 4)
        y = fir(F.conv_transpose2d(x, w.transpose(1, 2).reshape(-1, w.shape[1], *w.shape[3:]), stride=2, groups=n),
                padding=1, gain=4)
    else:
        y = F.conv2d(x, w.reshape(-1, *w.shape[2:]), padding=w.shape[-1] // 2, groups=n)
    return y.reshape(n, -1, *y.shape[2:])


class SynthesisLayer(nn.Module):
    def __init__(self, i, o, w_dim, resolution, up):
        super().__init__()
        self.up = up
        self.affine = FullyConnected(w_dim, i, bias_init=1)
        self.weight = nn.Parameter(torch.randn(o, i, 3, 3))
        self.register_buffer("resample_filter", FILTER.clone())
        self.register_buffer("noise_const", torch.randn(resolution, resolution))
        self.noise_strength = nn.Parameter(torch.zeros([]))
        self.bias = nn.Parameter(torch.zeros(o))

    def forward(self, x, w):
        y = modulated_conv(x, self.weight, self.affine(w), True, self.up) + self.noise_const * self.noise_strength
        return act(y + self.bias.reshape(1, -1, 1, 1))


class ToRGB(nn.Module):
    def __init__(self, i, o, w_dim):
        super().__init__()
        self.affine = FullyConnected(w_dim, i, bias_init=1)
        self.weight = nn.Parameter(torch.randn(o, i, 1, 1))
        self.bias = nn.Parameter(torch.zeros(o))
        self.gain = 1 / math.sqrt(i)

    def forward(self, x, w):
        y = modulated_conv(x, self.weight, self.affine(w) * self.gain, False)
        return act(y + self.bias.reshape(1, -1, 1, 1), gain=1, linear=True)


def width(resolution):
    return min(SBASE // resolution, SMAX)


class SynthesisBlock(nn.Module):
    def __init__(self, resolution):
        super().__init__()
        self.resolution, o = resolution, width(resolution)
        if resolution == 4:
            self.const = nn.Parameter(torch.randn(o, 4, 4))
        else:
            self.conv0 = SynthesisLayer(width(resolution // 2), o, SZ, resolution, up=True)
        self.conv1 = SynthesisLayer(o, o, SZ, resolution, up=False)
        self.torgb = ToRGB(o, NC, SZ)
        self.register_buffer("resample_filter", FILTER.clone())

    def forward(self, x, image, ws):  # ws: this block's convolutions' w, then its toRGB's
        if self.resolution == 4:
            x = self.conv1(self.const.unsqueeze(0).repeat(ws[0].shape[0], 1, 1, 1), ws[0])
        else:
            x = self.conv1(self.conv0(x, ws[0]), ws[1])
        rgb = self.torgb(x, ws[-1])
        if image is not None:  # upsample2d: zeros between the pixels, then the filter with gain 4
            c = image.shape[1]
            image = F.conv_transpose2d(image, (FILTER * 4).expand(c, 1, 4, 4), stride=2, padding=1, groups=c) + rgb
        return x, image if image is not None else rgb


class Synthesis(nn.Module):
    def __init__(self):
        super().__init__()
        self.resolutions = [2 ** k for k in range(2, int(math.log2(SRES)) + 1)]
        for r in self.resolutions:
            setattr(self, f"b{r}", SynthesisBlock(r))

    def forward(self, ws):
        x = image = None
        index = 0
        for r in self.resolutions:
            convolutions = 1 if r == 4 else 2
            x, image = getattr(self, f"b{r}")(x, image, [ws[:, index + k] for k in range(convolutions + 1)])
            index += convolutions
        return image


class StyleGANGenerator(nn.Module):
    def __init__(self):
        super().__init__()
        self.synthesis = Synthesis()
        self.mapping = Mapping(SZ, SZ, 2)
        self.num_ws = 2 * int(math.log2(SRES)) - 2

    def forward(self, z, psi=0.7):  # truncation towards w_avg, as the reference's truncation_psi
        w = self.mapping.w_avg.lerp(self.mapping(z), psi)
        return self.synthesis(w.unsqueeze(1).repeat(1, self.num_ws, 1))


class Conv(nn.Module):  # Conv2dLayer: equalized weight, [1, 3, 3, 1] resampling, activation, clamp
    def __init__(self, i, o, k, bias=True, activation=True, down=False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(o, i, k, k))
        self.bias = nn.Parameter(torch.zeros(o)) if bias else None
        self.register_buffer("resample_filter", FILTER.clone())
        self.gain, self.activation, self.down = 1 / math.sqrt(i * k * k), activation, down

    def forward(self, x, gain=1.0):
        w, k = self.weight * self.gain, self.weight.shape[-1]
        if self.down and k == 1:  # filter with stride 2, then the 1x1 convolution
            x = F.conv2d(fir(x, padding=1, stride=2), w)
        elif self.down:  # filter (padding 2), then the convolution with stride 2 and no padding
            x = F.conv2d(fir(x, padding=2), w, stride=2)
        else:
            x = F.conv2d(x, w, padding=k // 2)
        if self.bias is not None:
            x = x + self.bias.reshape(1, -1, 1, 1)
        return act(x, gain=(math.sqrt(2) if self.activation else 1) * gain, clamp=SCLAMP * gain, linear=not self.activation)


class DiscriminatorBlock(nn.Module):
    def __init__(self, resolution, first):
        super().__init__()
        t, o = width(resolution), width(resolution // 2)
        if first:
            self.fromrgb = Conv(NC, t, 1)
        self.conv0 = Conv(t, t, 3)
        self.conv1 = Conv(t, o, 3, down=True)
        self.skip = Conv(t, o, 1, bias=False, activation=False, down=True)
        self.register_buffer("resample_filter", FILTER.clone())

    def forward(self, x):
        if hasattr(self, "fromrgb"):
            x = self.fromrgb(x)
        y = self.skip(x, gain=math.sqrt(0.5))
        return y + self.conv1(self.conv0(x), gain=math.sqrt(0.5))


class Epilogue(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = Conv(c + 1, c, 3)
        self.fc = FullyConnected(c * 16, c, activation=True)
        self.out = FullyConnected(c, 1)

    def forward(self, x):  # minibatch standard deviation over groups of 4 (sample i in group i mod N/4), 1 channel
        n, c, h, w = x.shape
        g = min(4, n)
        y = x.reshape(g, -1, 1, c, h, w)
        y = ((y - y.mean(dim=0)).square().mean(dim=0) + 1e-8).sqrt().mean(dim=[2, 3, 4]).reshape(-1, 1, 1, 1)
        x = torch.cat([x, y.repeat(g, 1, h, w)], dim=1)
        return self.out(self.fc(self.conv(x).flatten(1)))


class StyleGANDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.resolutions = [2 ** k for k in range(int(math.log2(SRES)), 2, -1)]
        for r in self.resolutions:
            setattr(self, f"b{r}", DiscriminatorBlock(r, first=r == SRES))
        self.b4 = Epilogue(width(4))

    def forward(self, x):
        for r in self.resolutions:
            x = getattr(self, f"b{r}")(x)
        return self.b4(x)


KINDS = {
    "dcgan-generator": (DCGANGenerator, lambda g: torch.randn(3, NZ, 1, 1, generator=g)),
    "dcgan-discriminator": (DCGANDiscriminator, lambda g: torch.rand(3, NC, 64, 64, generator=g) * 2 - 1),
    "cyclegan-generator": (ResnetGenerator, lambda g: torch.rand(2, NC, 32, 32, generator=g) * 2 - 1),
    "cyclegan-discriminator": (NLayerDiscriminator, lambda g: torch.rand(2, NC, 32, 32, generator=g) * 2 - 1),
    "stylegan-generator": (StyleGANGenerator, lambda g: torch.randn(4, SZ, generator=g)),
    "stylegan-discriminator": (StyleGANDiscriminator, lambda g: torch.rand(8, NC, SRES, SRES, generator=g) * 2 - 1),
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
            for name, tensor in model.named_parameters():  # StyleGAN's zero-initialised biases and noise strengths
                if name.endswith("bias") or name.endswith("noise_strength"):
                    tensor.uniform_(-0.3, 0.3)
            if isinstance(model, StyleGANGenerator):
                model.mapping.w_avg.normal_()
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
