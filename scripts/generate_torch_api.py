"""Write buffer_lint/analysis/torch_api.py from the type stubs of an installed torch.

Run with the torch you want to describe installed (the linter itself never imports torch):

    python scripts/generate_torch_api.py

Tensor-returning functions and methods are those whose every overload is annotated
``-> Tensor`` in torch's stubs; module classes and the parameters and buffers they
create are read from the sources under ``torch/nn/modules`` with ``ast``.
"""

from __future__ import annotations

import ast
import inspect
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import torch

TORCH_DIR = Path(torch.__file__).parent
OUTPUT = Path(__file__).resolve().parent.parent / "buffer_lint" / "analysis" / "torch_api.py"

LEGACY_CONSTRUCTORS = (
    "Tensor",
    "FloatTensor",
    "DoubleTensor",
    "HalfTensor",
    "BFloat16Tensor",
    "ByteTensor",
    "CharTensor",
    "ShortTensor",
    "IntTensor",
    "LongTensor",
    "BoolTensor",
)
# Subclasses of nn.Module under torch.nn that are not layers a user subclasses as a module
# base; Parameter and Buffer are tensors, not modules, and never reach this list.
NOT_MODULE_BASES = frozenset({"UninitializedParameter", "UninitializedBuffer"})


def returns_tensor(node: ast.FunctionDef) -> bool:
    annotation = node.returns
    return (
        isinstance(annotation, ast.Name)
        and annotation.id == "Tensor"
        or (isinstance(annotation, ast.Constant) and annotation.value == "Tensor")
    )


def tensor_returning(defs: Iterable[ast.stmt]) -> set[str]:
    """Names whose every (overloaded) definition returns Tensor."""
    verdicts: dict[str, bool] = {}
    for node in defs:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            verdicts[node.name] = verdicts.get(node.name, True) and returns_tensor(node)
    return {name for name, ok in verdicts.items() if ok}


def parse(relative: str) -> ast.Module:
    return ast.parse((TORCH_DIR / relative).read_text(encoding="utf-8"))


def class_body(module: ast.Module, name: str) -> list[ast.stmt]:
    for node in module.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node.body
    raise SystemExit(f"class {name} not found in the stubs of torch {torch.__version__}")


def tensor_attributes(body: Iterable[ast.stmt]) -> set[str]:
    names = set()
    for node in body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if isinstance(node.annotation, ast.Name) and node.annotation.id == "Tensor":
                names.add(node.target.id)
        elif isinstance(node, ast.FunctionDef) and returns_tensor(node):
            if any(isinstance(d, ast.Name) and d.id == "property" for d in node.decorator_list):
                names.add(node.name)
    return names


def torch_functions() -> set[str]:
    names = tensor_returning(parse("_C/_VariableFunctions.pyi").body)
    names |= tensor_returning(parse("functional.py").body)
    names |= {f"nn.functional.{n}" for n in tensor_returning(parse("nn/functional.pyi").body)}
    names |= {f"fft.{n}" for n in public_assignments(parse("fft/__init__.py"))}
    names |= set(LEGACY_CONSTRUCTORS)
    return {f"torch.{n}" for n in names}


def public_assignments(module: ast.Module) -> Iterator[str]:
    """``name = _add_docstr(...)`` bindings: the fft functions, which all return a Tensor."""
    for node in module.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and not target.id.startswith("_"):
                yield target.id


def tensor_methods() -> tuple[set[str], set[str]]:
    stub = parse("_C/__init__.pyi")
    base = class_body(stub, "TensorBase")
    methods = tensor_returning(base) | tensor_returning(class_body(parse("_tensor.py"), "Tensor"))
    return methods, tensor_attributes(base)


def module_classes() -> dict[str, type]:
    classes = {}
    for name in dir(torch.nn):
        obj = getattr(torch.nn, name)
        if inspect.isclass(obj) and issubclass(obj, torch.nn.Module) and name not in NOT_MODULE_BASES:
            classes[name] = obj
    return classes


def names_created_in(cls: type) -> tuple[set[str], set[str]]:
    """Parameters and buffers a torch.nn class creates with a literal name, read from its source."""
    parameters: set[str] = set()
    buffers: set[str] = set()
    for klass in cls.__mro__:
        if klass is torch.nn.Module or not klass.__module__.startswith("torch.nn"):
            continue
        tree = ast.parse(inspect.getsource(sys.modules[klass.__module__]))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name == klass.__name__:
                collect_registrations(node, parameters, buffers)
    return parameters, buffers


def creates_dynamic_names(cls: type) -> bool:
    """RNNs and friends create parameters with ``setattr(self, name, ...)`` under computed names."""
    return any(
        "setattr(self" in (source := inspect.getsource(klass)) and "Parameter(" in source
        for klass in cls.__mro__
        if klass is not torch.nn.Module and klass.__module__.startswith("torch.nn")
    )


def collect_registrations(node: ast.ClassDef, parameters: set[str], buffers: set[str]) -> None:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.args:
            first = sub.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                if sub.func.attr == "register_parameter":
                    parameters.add(first.value)
                elif sub.func.attr == "register_buffer":
                    buffers.add(first.value)
        elif isinstance(sub, (ast.Assign, ast.AnnAssign)):
            targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
            value = sub.value
            callee = value.func if isinstance(value, ast.Call) else None
            name = getattr(callee, "attr", getattr(callee, "id", ""))
            if "Parameter" in name:
                for target in targets:
                    if (
                        isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == "self"
                    ):
                        parameters.add(target.attr)


def render() -> str:
    functions = torch_functions()
    methods, attributes = tensor_methods()
    classes = module_classes()
    created = {name: names_created_in(cls) for name, cls in sorted(classes.items())}
    parameters = {n: tuple(sorted(p)) for n, (p, _) in created.items() if p}
    buffers = {n: tuple(sorted(b)) for n, (_, b) in created.items() if b}
    dynamic = sorted(name for name, cls in classes.items() if creates_dynamic_names(cls))
    module_attributes = sorted(n for n in dir(torch.nn.Module) if not n.startswith("__"))
    return f'''"""Facts about the torch API, generated by scripts/generate_torch_api.py from torch {torch.__version__}.

Do not edit by hand: re-run the script with another torch installed instead.
"""

TORCH_VERSION = {torch.__version__.split("+")[0]!r}

# Fully qualified functions whose every overload returns a Tensor.
TENSOR_FUNCTIONS = {frozen(functions)}

# Tensor methods whose every overload returns a Tensor.
TENSOR_METHODS = {frozen(methods)}

# Tensor attributes and properties typed as Tensor.
TENSOR_ATTRIBUTES = {frozen(attributes)}

# Classes exported by torch.nn that subclass nn.Module.
MODULE_CLASSES = {frozen(classes)}

# Parameters each torch.nn module class creates under a literal name (inherited ones included).
MODULE_CLASS_PARAMETERS = {table(parameters)}

# Buffers each torch.nn module class registers under a literal name (inherited ones included).
MODULE_CLASS_BUFFERS = {table(buffers)}

# torch.nn module classes that create parameters or buffers under computed names.
DYNAMIC_NAME_CLASSES = {frozen(dynamic)}

# Attributes every nn.Module has: register_buffer raises KeyError for these names.
MODULE_ATTRIBUTES = {frozen(module_attributes)}
'''


def frozen(names: Iterable[str]) -> str:
    """A frozenset literal, one name a line."""
    return "frozenset({\n" + "".join(f"    {name!r},\n" for name in sorted(names)) + "})"


def table(mapping: dict[str, tuple[str, ...]]) -> str:
    """A dict literal of name tuples, one entry a line."""
    return "{\n" + "".join(f"    {key!r}: {value!r},\n" for key, value in sorted(mapping.items())) + "}"


def main() -> None:
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT} from torch {torch.__version__}")


if __name__ == "__main__":
    main()
