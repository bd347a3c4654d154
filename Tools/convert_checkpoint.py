#!/usr/bin/env python3
"""Moves weights between the reference PyTorch implementations and this course's library (safetensors, our names).

    python3 Tools/convert_checkpoint.py IN.pth OUT.safetensors [--family F] [--b IN_B.pth] [--size N] [--conv-clamp C]
    python3 Tools/convert_checkpoint.py IN.safetensors OUT.pth [--family F] [--b OUT_B.pth]

The direction follows the extensions (.pth or .pt, and .safetensors). The network is told from the tensor names
(--family dcgan|cyclegan|stylegan checks it):
  dcgan      pytorch/examples dcgan/main.py: netG.pth, netD.pth (`Generator`, `Discriminator`, layers in `main`)
  cyclegan   junyanz/pytorch-CycleGAN-and-pix2pix `ResnetGenerator`: latest_net_G_A.pth (A -> B; with --b,
             latest_net_G_B.pth, B -> A), or a published model such as horse2zebra's latest_net_G.pth (one
             direction); its `NLayerDiscriminator`s: latest_net_D_A.pth (which judges domain B images in that
             repository) and, with --b, latest_net_D_B.pth (domain A)
  stylegan   NVlabs/stylegan2-ada-pytorch `Generator` (`mapping.*`, `synthesis.*`; save G_ema's state_dict:
             torch.save(G_ema.state_dict(), "g.pth")) and `Discriminator` (`b{r}.*`, `b4.*`)

To ours, the generator's architecture goes into the file's metadata, so `gan-sample` and `gan-translate` read it as
they read gan-train's checkpoints (--size: the image side CycleGAN's generators are used at, default 256; DCGAN's and
StyleGAN's follow from their layers; --conv-clamp: the reference's conv_clamp, default 256 as its train.py sets it,
or none). To PyTorch, a state_dict the reference classes load with `load_state_dict` (strict); a StyleGAN file must
have been trained with `--resampling reference` (gan-train's default), else the reference would compute another
function. Needs torch (the CPU build, `pip install torch==2.13.0+cpu`) and safetensors.

The name rules are those of Sources/GAN/ReferenceNames.swift, which lets the Swift loader read a reference
state_dict saved as safetensors directly.
"""
import argparse
import os
import re
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file


def fail(message):
    sys.exit(f"convert_checkpoint.py: {message}")


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


# --- StyleGAN2 (stylegan2-ada-pytorch): mapping.fc{i} <-> mappingNetwork.layers.{i}, synthesis.b{r} <->
# synthesisNetwork.blocks.{log2 r - 2}, D's b{r} <-> blocks.{log2(R / r)}, b4 <-> epilogue

STYLE_FIELDS = {"noise_strength": "noiseStrength", "noise_const": "noiseConstant", "torgb": "toRGB",
                "fromrgb": "fromRGB", "w_avg": "averageW"}
FILTER = torch.outer(torch.tensor([1.0, 3, 3, 1]), torch.tensor([1.0, 3, 3, 1])) / 64  # the resample_filter buffers


def log2(value):
    return value.bit_length() - 1


def stylegan_to_ours(state, path, generator):
    state = {n: t for n, t in state.items() if not n.endswith("resample_filter")}
    top = max((int(n.split(".")[0][1:]) for n in state if re.match(r"b\d+\.", n)), default=4)
    ours = {}
    for name, tensor in state.items():
        parts = [STYLE_FIELDS.get(p, p) for p in name.split(".")]
        if generator and (m := re.fullmatch(r"mapping\.fc(\d+)\.(weight|bias)", name)):
            parts = ["mappingNetwork", "layers", m.group(1), m.group(2)]
        elif generator and name == "mapping.w_avg":
            parts = ["mappingNetwork", "averageW"]
        elif generator and (m := re.fullmatch(r"synthesis\.b(\d+)\.(const|(conv0|conv1|torgb)\.(weight|bias|noise_strength|"
                                              r"noise_const|affine\.weight|affine\.bias))", name)):
            parts = ["synthesisNetwork", f"blocks.{log2(int(m.group(1))) - 2}"] + parts[2:]
            if name.endswith("noise_const"):
                tensor = tensor.reshape(1, 1, *tensor.shape)
        elif not generator and (m := re.fullmatch(r"b(\d+)\.(fromrgb|conv0|conv1|skip|conv|fc|out)\.(weight|bias)", name)):
            r = int(m.group(1))
            parts = ["epilogue" if r == 4 else f"blocks.{log2(top) - log2(r)}"] + parts[1:]
        elif ".embed." in name or name.startswith("mapping.embed"):
            fail(f"{path}: tensor {name}: a conditional StyleGAN2 (c_dim > 0) has no counterpart in this library")
        else:
            fail(f"{path}: tensor {name} is not a stylegan2-ada-pytorch {'Generator' if generator else 'Discriminator'} "
                 f"name")
        ours[".".join(parts)] = tensor.float()
    return ours


def stylegan_to_pytorch(ours, path, generator, metadata):
    if metadata.get("resampling", "simplified") != "reference":
        fail(f"{path}: metadata resampling is {metadata.get('resampling', 'missing (simplified)')}: the reference networks "
             "would compute another function; train with gan-train stylegan --resampling reference")
    back = {v: k for k, v in STYLE_FIELDS.items()}
    blocks = 1 + max((int(m.group(1)) for n in ours if (m := re.match(r"blocks\.(\d+)\.", n))), default=-1)
    state = {}
    for name, tensor in ours.items():
        parts = [back.get(p, p) for p in name.split(".")]
        if generator and name.startswith("mappingNetwork.layers."):
            parts = ["mapping", f"fc{parts[2]}"] + parts[3:]
        elif generator and name == "mappingNetwork.averageW":
            parts = ["mapping", "w_avg"]
        elif generator and name.startswith("synthesisNetwork.blocks."):
            r = 4 << int(parts[2])
            parts = ["synthesis", f"b{r}"] + parts[3:]
            if parts[-1] == "noise_const":
                tensor = tensor.reshape(tensor.shape[-2:])
            state[f"synthesis.b{r}.resample_filter"] = FILTER.clone()  # every block and convolution has the filter
            if parts[2] in ("conv0", "conv1"):
                state[f"synthesis.b{r}.{parts[2]}.resample_filter"] = FILTER.clone()
        elif not generator and re.match(r"(blocks\.\d+|epilogue)\.\w+\.(weight|bias)$", name):
            r = 4 if parts[0] == "epilogue" else (4 << blocks) >> int(parts[1])
            parts = [f"b{r}"] + parts[(1 if parts[0] == "epilogue" else 2):]
            if parts[1] in ("fromrgb", "conv0", "conv1", "skip", "conv"):
                state[f"{parts[0]}.{parts[1]}.resample_filter"] = FILTER.clone()
            if r != 4:
                state[f"b{r}.resample_filter"] = FILTER.clone()
        else:
            fail(f"{path}: tensor {name} is not one of our StyleGAN {'generator' if generator else 'discriminator'} names")
        state[".".join(parts)] = tensor
    return state


def stylegan_metadata(ours, conv_clamp):
    mapping = [n for n in ours if re.fullmatch(r"mappingNetwork\.layers\.\d+\.weight", n)]
    rgb = sorted((int(m.group(1)), t) for n, t in ours.items()
                 if (m := re.fullmatch(r"synthesisNetwork\.blocks\.(\d+)\.toRGB\.weight", n)))
    widths = [t.shape[1] for _, t in rgb]
    resolution = 4 << (len(rgb) - 1)
    # Widths are min(channel_base / r, channel_max): the first one below the widest fixes channel_base.
    base = next((w * (4 << k) for k, w in enumerate(widths) if w < max(widths)), max(widths) * resolution)
    first = ours["mappingNetwork.layers.0.weight"]
    return {"family": "stylegan", "resolution": str(resolution), "channels": str(rgb[0][1].shape[0]),
            "z_dim": str(first.shape[1]), "w_dim": str(first.shape[0]), "mapping_layers": str(len(mapping)),
            "channel_base": str(base), "channel_max": str(max(widths)), "resampling": "reference",
            "conv_clamp": conv_clamp}


# --- Telling the network from its names

def reference_network(state, path):
    """(family, generator?) of a reference state_dict."""
    if any(n.startswith(("mapping.", "synthesis.")) for n in state):
        return "stylegan", True
    if "b4.out.weight" in state:
        return "stylegan", False
    if "main.0.weight" in state:
        return "dcgan", "main.1.running_mean" in state  # G: batch norm right after its first layer; D: leaky ReLU
    if any(".conv_block." in n for n in state):
        return "cyclegan", True
    if "model.0.weight" in state:
        return "cyclegan", False
    fail(f"{path}: not a state_dict of a network this converter knows (DCGAN, CycleGAN or StyleGAN2); "
         f"its first tensors: {', '.join(sorted(state)[:3])}")


def our_network(ours, path):
    """(family, generator?, prefix, second prefix or None) of one of our files."""
    names = set(ours)
    if any(n.startswith("mappingNetwork.") for n in names):
        return "stylegan", True, "", None
    if any(n.startswith("epilogue.") for n in names):
        return "stylegan", False, "", None
    if any(n.startswith("main.layers.") for n in names):
        return "dcgan", "main.layers.1.runningMean" in names, "", None
    for first, second, generator in (("aToB.", "bToA.", True), ("domainB.", "domainA.", False)):
        if any(n.startswith(first) for n in names):
            return "cyclegan", generator, first, second if any(n.startswith(second) for n in names) else None
    if "inputConv.weight" in names:
        return "cyclegan", True, "", None
    if "features.0.weight" in names:
        return "cyclegan", False, "", None
    fail(f"{path}: not one of our DCGAN, CycleGAN or StyleGAN checkpoints; its first tensors: {', '.join(sorted(names)[:3])}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", help="a .pth/.pt state_dict or one of our .safetensors files")
    parser.add_argument("output", help="a .safetensors file (from .pth) or a .pth file (from .safetensors)")
    parser.add_argument("--family", choices=["dcgan", "cyclegan", "stylegan"], help="check the network is of this family")
    parser.add_argument("--b", help="CycleGAN: the second network's .pth (to ours: read; to PyTorch: written)")
    parser.add_argument("--size", type=int, default=256, help="CycleGAN generators: the image side (default 256)")
    parser.add_argument("--conv-clamp", default="256", help="StyleGAN: the reference's conv_clamp (default 256, or none)")
    args = parser.parse_args()
    if args.size < 8 or args.size % 4:
        fail(f"--size {args.size}: must be a multiple of 4, at least 8")
    if args.conv_clamp != "none":
        try:
            assert float(args.conv_clamp) > 0
        except (ValueError, AssertionError):
            fail(f"--conv-clamp {args.conv_clamp}: allowed: none or a positive number")
    kinds = {(".pth", ".safetensors"): "to-ours", (".pt", ".safetensors"): "to-ours",
             (".safetensors", ".pth"): "to-pytorch", (".safetensors", ".pt"): "to-pytorch"}
    extension = lambda path: "." + path.rsplit(".", 1)[-1] if "." in path.split("/")[-1] else ""
    direction = kinds.get((extension(args.input), extension(args.output)))
    if direction is None:
        fail(f"{args.input} -> {args.output}: allowed: IN.pth (or .pt) OUT.safetensors, or IN.safetensors OUT.pth")

    if direction == "to-ours":
        state = read_pth(args.input)
        family, generator = reference_network(state, args.input)
        if args.family and args.family != family:
            fail(f"{args.input}: holds a {family} network, not --family {args.family}")
        metadata = {}
        if family == "dcgan":
            tensors = dcgan_to_ours(state, args.input)
            if generator:
                metadata = dcgan_metadata(state, args.input)
        elif family == "stylegan":
            tensors = stylegan_to_ours(state, args.input, generator)
            metadata = stylegan_metadata(tensors, args.conv_clamp) if generator else \
                {"family": "stylegan", "resampling": "reference", "conv_clamp": args.conv_clamp}
        elif generator:
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
        save_atomically(lambda path: save_file({n: t.contiguous() for n, t in tensors.items()}, path,
                                               metadata=metadata), args.output)
    else:
        try:
            with safe_open(args.input, "pt") as file:
                metadata = file.metadata() or {}
            ours = load_file(args.input)
        except Exception as error:
            fail(f"{args.input}: not a safetensors file ({error})")
        family, generator, prefix, second = our_network(ours, args.input)
        if args.family and args.family != family:
            fail(f"{args.input}: holds a {family} network, not --family {args.family}")
        if family == "dcgan":
            outputs = [(dcgan_to_pytorch(ours, args.input), args.output)]
        elif family == "stylegan":
            outputs = [(stylegan_to_pytorch(ours, args.input, generator, metadata), args.output)]
        else:
            convert = resnet_to_pytorch if generator else patchgan_to_pytorch
            outputs = [(convert(ours, args.input, prefix), args.output)]
            if second and args.b:
                outputs.append((convert(ours, args.input, second), args.b))
            elif second:
                print(f"convert_checkpoint.py: {args.input} also holds {second.rstrip('.')}; pass --b FILE.pth to write it")
        for state, path in outputs:
            save_atomically(lambda temporary: torch.save(state, temporary), path)


def save_atomically(write, path):
    """Writes through a temporary file beside `path`, then renames it: an interrupted run leaves no half file."""
    temporary = f"{path}.partial-{os.getpid()}"
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException as error:
        if os.path.exists(temporary):
            os.remove(temporary)
        if isinstance(error, OSError):
            fail(f"{path}: cannot write ({error.strerror})")
        raise


if __name__ == "__main__":
    main()
