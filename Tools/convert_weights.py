#!/usr/bin/env python3
"""Moves weights between the reference PyTorch implementations and this course's library (safetensors, our names).

    python3 Tools/convert_weights.py to-ours KIND IN.pth OUT.safetensors [--b IN_B.pth] [--size N]
    python3 Tools/convert_weights.py to-pytorch KIND IN.safetensors OUT.pth [--b OUT_B.pth]

KIND is one of
  dcgan-generator, dcgan-discriminator   pytorch/examples dcgan/main.py: netG.pth, netD.pth (`Generator`,
                                         `Discriminator`, layers in `main`)
  cyclegan-generator                     junyanz/pytorch-CycleGAN-and-pix2pix `ResnetGenerator`: latest_net_G_A.pth
                                         (A -> B; with --b, latest_net_G_B.pth, B -> A), or a published pretrained
                                         model such as horse2zebra's latest_net_G.pth (one direction)
  cyclegan-discriminator                 its `NLayerDiscriminator`s: latest_net_D_A.pth (which judges domain B
                                         images in that repository) and, with --b, latest_net_D_B.pth (domain A)

to-ours writes the generator's architecture into the file's metadata, so `gan-sample` and `gan-translate` read it
as they read gan-train's checkpoints (--size: the image side CycleGAN's files are used at, default 256; DCGAN's
follows from its layers). to-pytorch writes a state_dict that the reference classes load with `load_state_dict`
(strict). Needs torch (the CPU build, `pip install torch==2.13.0+cpu`) and safetensors.

The name rules are those of Sources/GAN/ReferenceNames.swift, which lets the Swift loader read a reference
state_dict saved as safetensors directly.
"""
import argparse
import re
import sys

import torch
from safetensors.torch import load_file, save_file


def fail(message):
    sys.exit(f"convert_weights.py: {message}")


def read_pth(path):
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many kinds for a bad file
        fail(f"{path}: not a PyTorch checkpoint torch.load can read ({error.__class__.__name__}: {error})")
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        fail(f"{path}: holds no state_dict (a dict of tensor names to tensors)")
    # nn.DataParallel saves every name under "module.".
    return {re.sub(r"^module\.", "", name): tensor for name, tensor in state.items()}


# --- DCGAN (pytorch/examples): main.N.* <-> main.layers.N.*

DCGAN_FIELDS = {"weight": "weight", "bias": "bias", "running_mean": "runningMean", "running_var": "runningVariance"}


def dcgan_to_ours(state, path):
    ours = {}
    for name, tensor in state.items():
        match = re.fullmatch(r"main\.(\d+)\.(\w+)", name)
        if not match:
            fail(f"{path}: tensor {name} is not a pytorch/examples DCGAN name (main.N.weight, ...)")
        index, field = match.groups()
        if field == "num_batches_tracked":
            continue  # a step counter with no counterpart in our batch norm
        if field not in DCGAN_FIELDS:
            fail(f"{path}: tensor {name}: unknown field {field}")
        ours[f"main.layers.{index}.{DCGAN_FIELDS[field]}"] = tensor.float()
    return ours


def dcgan_to_pytorch(ours, path):
    back = {v: k for k, v in DCGAN_FIELDS.items()}
    state = {}
    for name, tensor in ours.items():
        match = re.fullmatch(r"main\.layers\.(\d+)\.(\w+)", name)
        if not match or match.group(2) not in back:
            fail(f"{path}: tensor {name} is not one of our DCGAN names (main.layers.N.weight, ...)")
        index, field = match.groups()
        state[f"main.{index}.{back[field]}"] = tensor
        if field == "runningMean":
            state[f"main.{index}.num_batches_tracked"] = torch.tensor(0, dtype=torch.long)
    return state


def dcgan_metadata(state, path):
    transposed = sorted((int(m.group(1)), t) for n, t in state.items()
                        if (m := re.fullmatch(r"main\.(\d+)\.weight", n)) and t.dim() == 4)
    if not transposed:
        fail(f"{path}: no convolution weights main.N.weight")
    first, last = transposed[0][1], transposed[-1][1]
    return {"family": "dcgan", "resolution": str(4 * 2 ** (len(transposed) - 1)), "channels": str(last.shape[1]),
            "noise_size": str(first.shape[0]), "width": str(last.shape[0])}


# --- CycleGAN ResnetGenerator: model.N[.conv_block.M].* <-> our ResnetGenerator names

def resnet_places(blocks):
    places = {1: "inputConv", 4: "downsampling.0", 7: "downsampling.1", 10 + blocks: "upsampling.0",
              13 + blocks: "upsampling.1", 17 + blocks: "outputConv"}
    places.update({10 + k: f"blocks.{k}" for k in range(blocks)})
    return places


def resnet_to_ours(state, path, prefix):
    state = {n: t for n, t in state.items() if not re.search(r"running_(mean|var)$|num_batches_tracked$", n)}
    blocks = len({int(m.group(1)) for n in state if (m := re.match(r"model\.(\d+)\.conv_block\.", n))})
    places = resnet_places(blocks)
    ours = {}
    for name, tensor in state.items():
        match = re.fullmatch(r"model\.(\d+)(?:\.conv_block\.(\d+))?\.(weight|bias)", name)
        if not match or int(match.group(1)) not in places:
            fail(f"{path}: tensor {name} is not a ResnetGenerator name (model.N.weight, model.N.conv_block.M.weight)")
        index, inner, field = int(match.group(1)), match.group(2), match.group(3)
        place = places[index]
        if inner is not None:
            place += {"1": ".conv1", "5": ".conv2"}.get(inner) or fail(f"{path}: {name}: unexpected conv_block layer")
        ours[f"{prefix}{place}.{field}"] = tensor.float()
    return ours, blocks


def resnet_to_pytorch(ours, path, prefix):
    mine = {n[len(prefix):]: t for n, t in ours.items() if n.startswith(prefix)}
    blocks = len({n.split(".")[1] for n in mine if n.startswith("blocks.")})
    reverse = {v: k for k, v in resnet_places(blocks).items()}
    state = {}
    for name, tensor in mine.items():
        match = re.fullmatch(r"(blocks\.\d+)\.(conv1|conv2)\.(weight|bias)|(\w+(?:\.\d)?)\.(weight|bias)", name)
        if match and match.group(1):
            state[f"model.{reverse[match.group(1)]}.conv_block.{1 if match.group(2) == 'conv1' else 5}."
                  f"{match.group(3)}"] = tensor
        elif match and match.group(4) in reverse:
            state[f"model.{reverse[match.group(4)]}.{match.group(5)}"] = tensor
        else:
            fail(f"{path}: tensor {prefix}{name} is not one of our ResnetGenerator names")
    return state


# --- CycleGAN NLayerDiscriminator: its convolutions model.0, model.2, ... <-> features.K, outputConv

def patchgan_to_ours(state, path, prefix):
    state = {n: t for n, t in state.items() if not re.search(r"running_(mean|var)$|num_batches_tracked$", n)}
    indices = sorted({int(m.group(1)) for n in state if (m := re.fullmatch(r"model\.(\d+)\.weight", n))})
    if not indices:
        fail(f"{path}: no convolution weights model.N.weight")
    ours = {}
    for position, index in enumerate(indices):
        place = "outputConv" if position == len(indices) - 1 else f"features.{position}"
        for field in ("weight", "bias"):
            if f"model.{index}.{field}" in state:
                ours[f"{prefix}{place}.{field}"] = state.pop(f"model.{index}.{field}").float()
    if state:
        fail(f"{path}: tensors {sorted(state)} are not NLayerDiscriminator names")
    return ours


def patchgan_to_pytorch(ours, path, prefix):
    mine = {n[len(prefix):]: t for n, t in ours.items() if n.startswith(prefix)}
    features = len({n.split(".")[1] for n in mine if n.startswith("features.")})
    # The reference's Sequential: conv, LeakyReLU, then (conv, norm, LeakyReLU) per layer, then the output conv.
    indices = [0] + [3 * k - 1 for k in range(1, features)] + [3 * features - 1]
    state = {}
    for name, tensor in mine.items():
        match = re.fullmatch(r"(?:features\.(\d+)|outputConv)\.(weight|bias)", name)
        if not match:
            fail(f"{path}: tensor {prefix}{name} is not one of our PatchGAN names")
        index = indices[int(match.group(1))] if match.group(1) is not None else indices[-1]
        state[f"model.{index}.{match.group(2)}"] = tensor
    return state


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("direction", choices=["to-ours", "to-pytorch"])
    parser.add_argument("kind", choices=["dcgan-generator", "dcgan-discriminator", "cyclegan-generator",
                                         "cyclegan-discriminator"])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--b", help="CycleGAN: the second network's .pth (to-ours: read; to-pytorch: written)")
    parser.add_argument("--size", type=int, default=256, help="CycleGAN generators: the image side (default 256)")
    args = parser.parse_args()
    if args.size < 8 or args.size % 4:
        fail(f"--size {args.size}: must be a multiple of 4, at least 8")

    if args.direction == "to-ours":
        state = read_pth(args.input)
        metadata = {}
        if args.kind.startswith("dcgan"):
            tensors = dcgan_to_ours(state, args.input)
            if args.kind == "dcgan-generator":
                metadata = dcgan_metadata(state, args.input)
        elif args.kind == "cyclegan-generator":
            tensors, blocks = resnet_to_ours(state, args.input, "aToB.")
            directions = "a-to-b"
            if args.b:
                more, _ = resnet_to_ours(read_pth(args.b), args.b, "bToA.")
                tensors.update(more)
                directions = "a-to-b,b-to-a"
            first, last = tensors["aToB.inputConv.weight"], tensors["aToB.outputConv.weight"]
            metadata = {"family": "cyclegan", "resolution": str(args.size), "channels": str(first.shape[1]),
                        "width": str(first.shape[0]), "blocks": str(blocks), "directions": directions}
            if last.shape[0] != first.shape[1]:
                fail(f"{args.input}: {first.shape[1]} input channels but {last.shape[0]} output channels")
        else:
            # The reference's D_A judges domain B's images, D_B domain A's.
            tensors = patchgan_to_ours(state, args.input, "domainB.")
            if args.b:
                tensors.update(patchgan_to_ours(read_pth(args.b), args.b, "domainA."))
        metadata["converted_from"] = args.input.split("/")[-1]
        save_file({n: t.contiguous() for n, t in tensors.items()}, args.output, metadata=metadata)
    else:
        try:
            ours = load_file(args.input)
        except Exception as error:
            fail(f"{args.input}: not a safetensors file ({error})")
        if args.kind.startswith("dcgan"):
            torch.save(dcgan_to_pytorch(ours, args.input), args.output)
        elif args.kind == "cyclegan-generator":
            torch.save(resnet_to_pytorch(ours, args.input, "aToB."), args.output)
            if args.b:
                torch.save(resnet_to_pytorch(ours, args.input, "bToA."), args.b)
        else:
            torch.save(patchgan_to_pytorch(ours, args.input, "domainB."), args.output)
            if args.b:
                torch.save(patchgan_to_pytorch(ours, args.input, "domainA."), args.b)


if __name__ == "__main__":
    main()
