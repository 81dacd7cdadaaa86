"""Runtime truth: build real models on the meta device, audit them, and measure the static analysis against it.

Needs an environment with torch and the swept packages besides buffer-lint, not the project's
own venv (torch pinned first: unpinned, pip takes a multi-GB CUDA build, so every wheel that
depends on torch goes in with --no-deps; torchvision's wheel is a CUDA build whose C ops this
script stubs out)::

    python3 -m venv /work/bench-venv && /work/bench-venv/bin/pip install torch==2.13.0
    /work/bench-venv/bin/pip install --no-deps torchvision==0.28.0 $CORPUS/wheels/timm-*.whl \
        $CORPUS/wheels/transformers-*.whl $CORPUS/wheels/diffusers-*.whl $CORPUS/wheels/torchtune-*.whl \
        $CORPUS/wheels/vector_quantize_pytorch-*.whl $CORPUS/wheels/x_transformers-*.whl \
        $CORPUS/wheels/denoising_diffusion_pytorch-*.whl $CORPUS/wheels/einops-*.whl \
        torch-einops-utils ema-pytorch accelerate pytorch-fid torchao==0.11.0
    /work/bench-venv/bin/pip install huggingface_hub safetensors pyyaml regex tqdm packaging filelock \
        numpy pillow tokenizers typer flake8 libcst pathspec importlib_metadata requests loguru einx \
        omegaconf psutil scipy datasets sentencepiece tiktoken
    /work/bench-venv/bin/pip install --no-deps -e .

    python benchmarks/runtime_truth.py sweep [--packages timm transformers ...] [--jobs 2] [--timeout 60]
    python benchmarks/runtime_truth.py recall [--packages ...] [--corpus /work/corpus/src]
    python benchmarks/runtime_truth.py overhead [--models 50] [--rounds 5]

``sweep`` builds each package's models under ``with torch.device("meta"), buffer_lint.audit.tracing()``:
every ``timm.list_models()`` name (``timm.create_model(name, pretrained=False)``), every transformers
model type (``AutoModel.from_config(AutoConfig.for_model(type))``), every module class that
``diffusers.models`` exports (``cls()``: its default configuration), every torchtune model builder
that ``torchtune.models.*`` export and that needs no argument but LoRA's, and, for the packages without
a list of models (vector_quantize_pytorch, x_transformers, denoising_diffusion_pytorch), their main
classes with small arguments (``EXAMPLES``) and variants of one example with each keyword that
defaults to False switched on (``FLAG_SWEEPS``); those small examples are built on the CPU when
the meta device fails (``.item()`` in a constructor). It audits each model and writes
``benchmarks/truth/<package>.json``: every plain tensor (BUF001) and container (BUF006) at the
line that assigned it, paths relative to the package root, with the package versions. Each
model is built in a worker process with a time limit; models that fail or time out are listed.
``recall`` runs ``buffer-lint check --select BUF001,BUF006`` on the same files of the corpus
(the pinned wheels' sources, ``<corpus>/<distribution name>/``) and prints how many truth
entries it finds at the same file:line.
``overhead`` times building a sample of timm models with and without ``tracing()``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TRUTH_DIR = HERE / "truth"
PACKAGES = (
    "timm",
    "transformers",
    "diffusers",
    "torchtune",
    "vector_quantize_pytorch",
    "x_transformers",
    "denoising_diffusion_pytorch",
)
CODES = ("BUF001", "BUF006")
DEFAULT_CORPUS = Path(os.environ.get("BUFFER_LINT_CORPUS", "/work/corpus")) / "src"
EXAMPLE_MODELS = 5  # model names kept per truth entry


Spec = tuple[str, dict[str, Any]]  # a class and its keyword arguments, where a Spec is built first

_LAYERS: Spec = ("Decoder", {"dim": 64, "depth": 2, "heads": 4})
_ENCODER: Spec = ("Encoder", {"dim": 64, "depth": 2, "heads": 4})
_TOKENS = {"num_tokens": 256, "max_seq_len": 64}
_DECODER: Spec = ("TransformerWrapper", {**_TOKENS, "attn_layers": _LAYERS})
_CONTINUOUS: Spec = (
    "ContinuousTransformerWrapper",
    {"dim_in": 32, "dim_out": 32, "max_seq_len": 64, "attn_layers": _LAYERS},
)
_SIDES = {
    f"{side}_{key}": value for side in ("enc", "dec") for key, value in {**_TOKENS, "depth": 2, "heads": 4}.items()
}
_UNET: Spec = ("Unet", {"dim": 16, "dim_mults": (1, 2)})
_UNET_1D: Spec = ("Unet1D", {"dim": 16, "dim_mults": (1, 2), "channels": 2})
_IMAGE = {"image_size": 32, "timesteps": 100}

# Packages without a list of models: their main classes with small arguments (from their READMEs).
EXAMPLES: dict[str, dict[str, Spec]] = {
    "vector_quantize_pytorch": {
        "VectorQuantize": ("VectorQuantize", {"dim": 64, "codebook_size": 128}),
        "VectorQuantize-heads": (
            "VectorQuantize",
            {"dim": 64, "codebook_size": 128, "codebook_dim": 16, "heads": 4, "separate_codebook_per_head": True},
        ),
        "ResidualVQ": ("ResidualVQ", {"dim": 64, "num_quantizers": 4, "codebook_size": 128}),
        "ResidualVQ-shared": (
            "ResidualVQ",
            {
                "dim": 64,
                "num_quantizers": 4,
                "codebook_size": 128,
                "stochastic_sample_codes": True,
                "shared_codebook": True,
            },
        ),
        "GroupedResidualVQ": ("GroupedResidualVQ", {"dim": 64, "num_quantizers": 4, "groups": 2, "codebook_size": 128}),
        "RandomProjectionQuantizer": (
            "RandomProjectionQuantizer",
            {"dim": 64, "num_codebooks": 4, "codebook_dim": 16, "codebook_size": 128},
        ),
        "SimVQ": ("SimVQ", {"dim": 64, "codebook_size": 128, "rotation_trick": True}),
        "ResidualSimVQ": ("ResidualSimVQ", {"dim": 64, "num_quantizers": 4, "codebook_size": 128}),
        "FSQ": ("FSQ", {"levels": [8, 5, 5, 5]}),
        "FSP": ("FSP", {"levels": [8, 5, 5, 5]}),
        "ResidualFSQ": ("ResidualFSQ", {"dim": 64, "levels": [8, 5, 5, 3], "num_quantizers": 4}),
        "GroupedResidualFSQ": (
            "GroupedResidualFSQ",
            {"dim": 64, "levels": [8, 5, 5, 3], "num_quantizers": 4, "groups": 2},
        ),
        "LFQ": ("LFQ", {"codebook_size": 256, "dim": 16, "entropy_loss_weight": 0.1}),
        "LFQ-codebooks": ("LFQ", {"codebook_size": 256, "dim": 16, "num_codebooks": 4}),
        "ResidualLFQ": ("ResidualLFQ", {"dim": 64, "codebook_size": 256, "num_quantizers": 4}),
        "GroupedResidualLFQ": (
            "GroupedResidualLFQ",
            {"dim": 64, "codebook_size": 256, "num_quantizers": 4, "groups": 2},
        ),
        "LatentQuantize": ("LatentQuantize", {"levels": [5, 5, 8], "dim": 16}),
        "LatentQuantize-codebooks": ("LatentQuantize", {"levels": [4, 8, 16], "dim": 9, "num_codebooks": 3}),
        "LatentQuantize-fixed": ("LatentQuantize", {"levels": [5, 5, 8], "dim": 16, "optimize_values": False}),
        "BinaryMapper": ("BinaryMapper", {}),
        "HierarchicalVQ": ("HierarchicalVQ", {"dim": 64, "codebook_size": 128, "scales": (1, 2, 4)}),
    },
    "x_transformers": {
        "decoder": _DECODER,
        "encoder": ("TransformerWrapper", {**_TOKENS, "attn_layers": _ENCODER}),
        "prefix_decoder": ("TransformerWrapper", {**_TOKENS, "attn_layers": ("PrefixDecoder", _LAYERS[1])}),
        "cross_attender": ("CrossAttender", {"dim": 64, "depth": 2}),
        "xtransformer": ("XTransformer", {"dim": 64, "tie_token_emb": True, **_SIDES}),
        "vit": (
            "ViTransformerWrapper",
            {"image_size": 32, "patch_size": 8, "num_classes": 10, "attn_layers": _ENCODER},
        ),
        "continuous": _CONTINUOUS,
        "continuous_autoregressive": ("ContinuousAutoregressiveWrapper", {"net": _CONTINUOUS}),
        "autoregressive": ("AutoregressiveWrapper", {"net": _DECODER}),
        "nonautoregressive": (
            "NonAutoregressiveWrapper",
            {"net": ("TransformerWrapper", {**_TOKENS, "attn_layers": _ENCODER}), "mask_id": 255},
        ),
        "belief_state": ("BeliefStateWrapper", {"forward_decoder": _DECODER}),
        "next_latent": ("NextLatentWrapper", {"net": _DECODER, "dim": 64}),
        "xl": (
            "XLAutoregressiveWrapper",
            {"net": ("TransformerWrapper", {**_TOKENS, "max_mem_len": 64, "attn_layers": _LAYERS})},
        ),
        "multi_input": (
            "MultiInputTransformerWrapper",
            {"num_tokens": {"a": 16, "b": 16}, "max_seq_len": 64, "attn_layers": _LAYERS},
        ),
        "xval": ("XValTransformerWrapper", {**_TOKENS, "numerical_token_id": 3, "attn_layers": _LAYERS}),
        "dpo": ("DPO", {"model": _DECODER}),
        "neo_mlp": ("NeoMLP", {"dim_in": 8, "dim_hidden": 16, "dim_out": 8, "dim_model": 32, "depth": 2}),
        "attention_pool": ("AttentionPool", {"dim": 64}),
    },
    "denoising_diffusion_pytorch": {
        "Unet": _UNET,
        "GaussianDiffusion": ("GaussianDiffusion", {"model": _UNET, **_IMAGE}),
        "LearnedGaussianDiffusion": (
            "LearnedGaussianDiffusion",
            {"model": ("Unet", {**_UNET[1], "learned_variance": True}), **_IMAGE},
        ),
        "ContinuousTimeGaussianDiffusion": (
            "ContinuousTimeGaussianDiffusion",
            {"model": ("Unet", {**_UNET[1], "random_fourier_features": True}), "image_size": 32},
        ),
        "WeightedObjectiveGaussianDiffusion": (
            "WeightedObjectiveGaussianDiffusion",
            {"model": ("Unet", {**_UNET[1], "out_dim": 3 * 2 + 2}), **_IMAGE},
        ),
        "ElucidatedDiffusion": (
            "ElucidatedDiffusion",
            {"net": ("Unet", {**_UNET[1], "random_fourier_features": True}), "image_size": 32},
        ),
        "VParamContinuousTimeGaussianDiffusion": (
            "VParamContinuousTimeGaussianDiffusion",
            {"model": ("Unet", {**_UNET[1], "random_fourier_features": True}), "image_size": 32},
        ),
        "GaussianDiffusion1D": ("GaussianDiffusion1D", {"model": _UNET_1D, "seq_length": 64, "timesteps": 100}),
        "KarrasUnet": ("KarrasUnet", {"image_size": 32, "dim": 16, "num_downsamples": 2}),
        "KarrasUnet1D": ("KarrasUnet1D", {"seq_len": 64, "dim": 16, "num_downsamples": 2}),
        "KarrasUnet3D": ("KarrasUnet3D", {"image_size": 32, "frames": 4, "dim": 16, "num_downsamples": 2}),
        "classifier_free_guidance": (
            "classifier_free_guidance:GaussianDiffusion",
            {"model": ("classifier_free_guidance:Unet", {**_UNET[1], "num_classes": 10}), **_IMAGE},
        ),
        "simple_diffusion": (
            "simple_diffusion:GaussianDiffusion",
            {"model": ("simple_diffusion:UViT", {"dim": 32}), "image_size": 32},
        ),
        "guided_diffusion": (
            "guided_diffusion:GaussianDiffusion",
            {"model": ("guided_diffusion:Unet", _UNET[1]), **_IMAGE},
        ),
        "repaint": ("repaint:GaussianDiffusion", {"model": ("repaint:Unet", _UNET[1]), **_IMAGE}),
    },
}
# (example, the keyword that gets the varied spec or "", the class whose False keywords are switched on, their prefix)
FLAG_SWEEPS: dict[str, list[tuple[str, str, str, str]]] = {
    "vector_quantize_pytorch": [("VectorQuantize", "", "VectorQuantize", "")],
    "x_transformers": [
        ("decoder", "attn_layers", "x_transformers:AttentionLayers", ""),
        ("decoder", "attn_layers", "x_transformers:Attention", "attn_"),
        ("decoder", "attn_layers", "x_transformers:FeedForward", "ff_"),
        ("decoder", "", "TransformerWrapper", ""),
    ],
    "denoising_diffusion_pytorch": [
        ("GaussianDiffusion", "model", "Unet", ""),
        ("GaussianDiffusion", "", "GaussianDiffusion", ""),
    ],
}
TORCHTUNE_LORA = {"lora_attn_modules": ["q_proj", "k_proj", "v_proj", "output_proj"], "apply_lora_to_mlp": True}


class Timeout(Exception):
    pass


# ---------------------------------------------------------------- building (in the workers)


def _stub_torchvision_meta() -> None:
    """torchvision's PyPI wheel is a CUDA build whose C ops do not load on a CPU-only torch; its import then
    fails registering meta kernels for them. Model building needs none of those ops."""
    name = "torchvision._meta_registrations"
    sys.modules.setdefault(name, types.ModuleType(name))


def model_names(package: str) -> list[str]:
    return sorted(catalogue(package))


def builder(package: str) -> Callable[[str], Any]:
    models = catalogue(package)
    return lambda name: models[name]()


def catalogue(package: str) -> dict[str, Callable[[], Any]]:
    """The package's models by name, each a call that builds it."""
    _stub_torchvision_meta()
    if package in EXAMPLES:
        return _examples(package)
    return CATALOGUES[package]()


def _timm_models() -> dict[str, Callable[[], Any]]:
    import timm

    return {name: partial(timm.create_model, name, pretrained=False) for name in timm.list_models()}


def _transformers_models() -> dict[str, Callable[[], Any]]:
    from transformers import AutoConfig, AutoModel
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    return {name: lambda name=name: AutoModel.from_config(AutoConfig.for_model(name)) for name in CONFIG_MAPPING}


def _diffusers_models() -> dict[str, Callable[[], Any]]:
    """Every module class that ``diffusers.models`` exports, built from its default configuration (``cls()``)."""
    import diffusers.models
    from torch import nn

    models: dict[str, Callable[[], Any]] = {}
    for name in (name for names in diffusers.models._import_structure.values() for name in names):
        try:
            cls = getattr(diffusers.models, name)
        except Exception as error:  # the lazy import re-raises anything as a RuntimeError: listed as failed
            models[name] = partial(_raise, error)
            continue
        if isinstance(cls, type) and issubclass(cls, nn.Module):
            models[name] = cls
    return models


def _raise(error: Exception) -> Any:
    raise error


def _torchtune_models() -> dict[str, Callable[[], Any]]:
    """The model builders that ``torchtune.models.*`` export and that need no arguments but LoRA's."""
    import importlib
    import pkgutil

    import torchtune.models

    models = {}
    for info in pkgutil.iter_modules(torchtune.models.__path__):
        module = importlib.import_module(f"torchtune.models.{info.name}") if info.ispkg else None
        for name in getattr(module, "__all__", ()):
            function = getattr(module, name)
            if callable(function) and not isinstance(function, type) and "tokenizer" not in name:
                call = _call_with_lora(function)
                if call is not None:
                    models[name] = call
    return models


def _call_with_lora(function: Callable[..., Any]) -> Callable[[], Any] | None:
    """The call with LoRA's arguments where the builder takes them; None when it requires others."""
    import inspect

    parameters = inspect.signature(function).parameters
    required = {
        n for n, p in parameters.items() if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }
    if not required <= set(TORCHTUNE_LORA):
        return None
    return partial(function, **{n: v for n, v in TORCHTUNE_LORA.items() if n in parameters})


def _examples(package: str) -> dict[str, Callable[[], Any]]:
    """The package's examples (classes with small arguments), and each flag sweep's variants of one of them."""
    models = {name: partial(_make, package, spec) for name, spec in EXAMPLES[package].items()}
    for example, keyword, owner, prefix in FLAG_SWEEPS.get(package, ()):
        for flag in _false_flags(package, owner):
            spec = _with_flag(EXAMPLES[package][example], keyword, prefix + flag)
            models[f"{example}+{prefix}{flag}"] = partial(_make, package, spec)
    return models


def _make(package: str, spec: Spec) -> Any:
    """Build a spec: the class (a name the package exports, or ``module:Class``), specs among its arguments first."""
    name, kwargs = spec
    built = {k: _make(package, v) if _is_spec(v) else v for k, v in kwargs.items()}
    return _resolve(package, name)(**built)


def _is_spec(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], dict)


def _resolve(package: str, name: str) -> Any:
    import importlib

    module, _, attribute = name.rpartition(":")
    return getattr(importlib.import_module(f"{package}.{module}" if module else package), attribute)


def _false_flags(package: str, owner: str) -> list[str]:
    """The keyword arguments of ``owner`` that default to False: each one is switched on in a variant."""
    import inspect

    parameters = inspect.signature(_resolve(package, owner).__init__).parameters
    return [name for name, parameter in parameters.items() if parameter.default is False]


def _with_flag(spec: Spec, keyword: str, flag: str) -> Spec:
    """The spec with ``flag=True``, in the spec given to ``keyword`` when there is one."""
    name, kwargs = spec
    if keyword:
        return name, {**kwargs, keyword: _with_flag(kwargs[keyword], "", flag)}
    return name, {**kwargs, flag: True}


CATALOGUES: dict[str, Callable[[], dict[str, Callable[[], Any]]]] = {
    "timm": _timm_models,
    "transformers": _transformers_models,
    "diffusers": _diffusers_models,
    "torchtune": _torchtune_models,
}


def package_root(package: str) -> Path:
    """The package's folder (its parent, site-packages, is what truth paths are relative to)."""
    module = __import__(package)
    return Path(module.__file__).resolve().parent


def audit_one(
    build: Callable[[str], Any], name: str, timeout: int, root: Path, devices: Sequence[str]
) -> dict[str, Any]:
    """The model's audit on the first of the devices where it builds (its error on the last one otherwise)."""
    for device in devices:
        result = _audit_on(build, name, timeout, root, device)
        if "error" not in result:
            break
    return result


def _audit_on(build: Callable[[str], Any], name: str, timeout: int, root: Path, device: str) -> dict[str, Any]:
    import torch

    from buffer_lint.audit import audit, tracing

    signal.signal(signal.SIGALRM, _raise_timeout)
    start = time.perf_counter()
    signal.alarm(timeout)
    try:
        with tracing(), torch.device(device):
            model = build(name)
        findings = [_entry(f, root) for f in audit(model)]
    except Timeout:
        return {"model": name, "error": f"timed out after {timeout} s"}
    except Exception as error:  # a model's build may raise anything
        return {"model": name, "error": f"{type(error).__name__}: {' '.join(str(error).split())[:300]}"}
    finally:
        signal.alarm(0)
    return {"model": name, "device": device, "seconds": round(time.perf_counter() - start, 4), "findings": findings}


def _raise_timeout(signum: int, frame: Any) -> None:
    raise Timeout


def _entry(item: Any, root: Path) -> dict[str, Any]:
    """A finding as the truth file keeps it: its path relative to site-packages when it lies there."""
    path = Path(item.path).resolve()
    relative = path.relative_to(root.parent) if path.is_relative_to(root.parent) else path
    return {
        "code": item.finding.code,
        "path": relative.as_posix(),
        "line": item.finding.line,
        "class": item.owner_class,
        "attribute": item.attribute,
        "traced": item.traced,
        "inside": path.is_relative_to(root),  # in the package's own code
    }


def worker(package: str, names: Sequence[str], timeout: int) -> None:
    """Build and audit each name, printing one JSON line per model (the parent reads them as they come)."""
    build, root = builder(package), package_root(package)
    devices = ("meta", "cpu") if package in EXAMPLES else ("meta",)  # examples are small: the CPU when meta fails
    for name in names:
        print(json.dumps(audit_one(build, name, timeout, root, devices)), flush=True)


# ---------------------------------------------------------------- sweep (the parent)


def sweep(package: str, jobs: int, timeout: int, limit: int | None) -> dict[str, Any]:
    names = model_names(package)
    if limit:
        names = names[:: max(1, len(names) // limit)][:limit]
    started = time.perf_counter()
    results = list(_run_workers(package, names, jobs, timeout))
    wall = time.perf_counter() - started
    truth = _truth(package, names, results)
    _print_sweep(package, truth, results, wall)
    return truth


def _run_workers(package: str, names: list[str], jobs: int, timeout: int) -> Iterator[dict[str, Any]]:
    shards = [names[i::jobs] for i in range(jobs)]
    processes = [_start_worker(package, shard, timeout) for shard in shards if shard]
    for process, shard in zip(processes, shards):
        seen = set()
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("{"):
                result = json.loads(line)
                seen.add(result["model"])
                yield result
        process.wait()
        for name in shard:
            if name not in seen:  # the worker died (a crash, or killed) before reaching it
                yield {"model": name, "error": f"worker exited with {process.returncode}"}


def _start_worker(package: str, names: list[str], timeout: int) -> subprocess.Popen[str]:
    command = [sys.executable, __file__, "worker", "--timeout", str(timeout), package, *names]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def _truth(package: str, names: list[str], results: list[dict[str, Any]]) -> dict[str, Any]:
    entries: dict[tuple[str, str, int, str], dict[str, Any]] = {}
    for result in sorted(results, key=lambda r: r["model"]):
        for found in result.get("findings", ()):
            key = (found["path"], found["code"], found["line"], found["attribute"])
            entry = entries.setdefault(key, {**found, "models": [], "model_count": 0})
            entry["model_count"] += 1
            if len(entry["models"]) < EXAMPLE_MODELS:
                entry["models"].append(result["model"])
    failed = {r["model"]: r["error"] for r in results if "error" in r}
    return {
        "package": package,
        "versions": {name: metadata.version(name) for name in (package, "torch")},
        "python": platform.python_version(),
        "device": "meta",
        "built_on_cpu": sorted(r["model"] for r in results if r.get("device") == "cpu"),  # failed on meta
        "models": {"tried": len(names), "built": len(results) - len(failed), "failed": dict(sorted(failed.items()))},
        "findings": [entries[key] for key in sorted(entries)],
    }


def _print_sweep(package: str, truth: dict[str, Any], results: list[dict[str, Any]], wall: float) -> None:
    seconds = sorted(r["seconds"] for r in results if "seconds" in r)
    findings = truth["findings"]
    inside = [f for f in findings if f["inside"]]
    print(f"{package}: {truth['models']['built']}/{truth['models']['tried']} models built in {wall:.0f} s wall")
    if seconds:
        print(
            f"  build+audit per model: median {statistics.median(seconds):.3f} s, "
            f"p90 {seconds[int(len(seconds) * 0.9)]:.3f} s, max {seconds[-1]:.2f} s"
        )
    codes = {code: sum(1 for f in inside if f["code"] == code) for code in CODES}
    print(f"  truth: {len(inside)} places in {package} ({codes}), {len(findings) - len(inside)} outside it")
    print(f"  untraced (located at the class): {sum(1 for f in findings if not f['traced'])}")


# ---------------------------------------------------------------- recall


def recall(package: str, corpus: Path) -> dict[str, Any]:
    truth = json.loads((TRUTH_DIR / f"{package}.json").read_text())
    entries = [f for f in truth["findings"] if f["inside"]]
    root = corpus / package.replace("_", "-")  # the corpus names a project's folder as its distribution
    files = sorted({f["path"] for f in entries})
    static = _static_findings(root, files)
    at_line = [f for f in entries if (f["path"], f["line"]) in static]
    same_code = [f for f in at_line if f["code"] in static[(f["path"], f["line"])]]
    result = {"package": package, "truth": len(entries), "found_at_line": len(at_line), "same_code": len(same_code)}
    for code in CODES:
        of_code = [f for f in entries if f["code"] == code]
        found = [f for f in of_code if code in static.get((f["path"], f["line"]), ())]
        result[code] = (len(found), len(of_code))
    _print_recall(result)
    return result


def _static_findings(root: Path, files: list[str]) -> dict[tuple[str, int], set[str]]:
    """(path, line) -> codes that ``buffer-lint check`` reports there."""
    if not files:
        return {}
    command = [sys.executable, "-m", "buffer_lint", "check", "--isolated", "--no-cache", "--exit-zero"]
    command += ["--select", ",".join(CODES), "--output-format", "json", *files]
    output = subprocess.run(command, cwd=root, capture_output=True, text=True, check=True).stdout
    found: dict[tuple[str, int], set[str]] = {}
    for item in json.loads(output):
        path = Path(item["filename"])
        relative = (path.relative_to(root) if path.is_absolute() else path).as_posix()
        found.setdefault((relative, item["location"]["row"]), set()).add(item["code"])
    return found


def _print_recall(result: dict[str, Any]) -> None:
    truth = result["truth"] or 1
    print(
        f"{result['package']}: static recall {result['found_at_line']}/{result['truth']} "
        f"({100 * result['found_at_line'] / truth:.1f}%) at the same file:line, "
        f"{result['same_code']} with the same code; "
        + ", ".join(f"{code} {found}/{total}" for code in CODES for found, total in [result[code]])
    )


# ---------------------------------------------------------------- overhead


def overhead(sample: int, rounds: int) -> None:
    """Median build time of each sampled timm model with and without tracing(), in interleaved rounds."""
    import torch

    from buffer_lint.audit import tracing

    names = model_names("timm")
    names = names[:: max(1, len(names) // sample)][:sample]
    build = builder("timm")
    names = [n for n in names if _builds(build, n)]  # also the untimed warm-up
    times: dict[bool, dict[str, list[float]]] = {False: {n: [] for n in names}, True: {n: [] for n in names}}
    for round_index in range(rounds):
        for name in names:
            for traced in (round_index % 2 == 0, round_index % 2 == 1):
                times[traced][name].append(_time_build(build, name, traced, torch, tracing))
    plain = {n: statistics.median(t) for n, t in times[False].items()}
    traced = {n: statistics.median(t) for n, t in times[True].items()}
    ratios = sorted(traced[n] / plain[n] for n in names)
    print(
        f"tracing overhead on {len(names)} timm models, {rounds} interleaved rounds: "
        f"total {sum(traced.values()):.2f} s vs {sum(plain.values()):.2f} s = "
        f"{sum(traced.values()) / sum(plain.values()):.3f}x; per-model median {statistics.median(ratios):.3f}x, "
        f"p90 {ratios[int(len(ratios) * 0.9)]:.3f}x"
    )


def _builds(build: Callable[[str], Any], name: str) -> bool:
    import torch

    try:
        with torch.device("meta"):
            build(name)
    except Exception:
        return False
    return True


def _time_build(build: Callable[[str], Any], name: str, traced: bool, torch: Any, tracing: Any) -> float:
    start = time.perf_counter()
    with torch.device("meta"):
        if traced:
            with tracing():
                build(name)
        else:
            build(name)
    return time.perf_counter() - start


# ---------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_sweep = commands.add_parser("sweep", help="build, audit, write benchmarks/truth/<package>.json")
    run_sweep.add_argument("--packages", nargs="+", default=list(PACKAGES), choices=PACKAGES)
    run_sweep.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    run_sweep.add_argument("--timeout", type=int, default=60, help="seconds per model")
    run_sweep.add_argument("--limit", type=int, help="an evenly spaced sample of this many models per package")
    run_sweep.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the corpus's src/ folder")
    run_recall = commands.add_parser("recall", help="static recall against the truth files")
    run_recall.add_argument("--packages", nargs="+", default=list(PACKAGES), choices=PACKAGES)
    run_recall.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the corpus's src/ folder")
    run_overhead = commands.add_parser("overhead", help="build time with and without tracing()")
    run_overhead.add_argument("--models", type=int, default=50)
    run_overhead.add_argument("--rounds", type=int, default=5)
    run_worker = commands.add_parser("worker")  # internal: one shard of a sweep
    run_worker.add_argument("package", choices=PACKAGES)
    run_worker.add_argument("names", nargs="*")
    run_worker.add_argument("--timeout", type=int, default=60)
    args = parser.parse_args(argv)
    if args.command == "worker":
        worker(args.package, args.names, args.timeout)
    elif args.command == "overhead":
        overhead(args.models, args.rounds)
    else:
        for package in args.packages:
            if args.command == "sweep":
                _write_truth(sweep(package, args.jobs, args.timeout, args.limit))
            recall(package, args.corpus)
    return 0


def _write_truth(truth: dict[str, Any]) -> None:
    TRUTH_DIR.mkdir(exist_ok=True)
    path = TRUTH_DIR / f"{truth['package']}.json"
    path.write_text(json.dumps(truth, indent=1) + "\n")
    print(f"  wrote {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    sys.exit(main())
