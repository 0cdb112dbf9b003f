"""Checks about the run rather than the data: ``step_applied``, ``dialect``, and the
combinators ``all``, ``any``, ``not`` (three-valued: a child not evaluated leaves
the answer open unless another child decides it)."""
from __future__ import annotations

from migrator.checks.context import CheckContext, Found
from migrator.plan.model import CheckSpec


def step_applied(spec: CheckSpec, ctx: CheckContext) -> Found:
    if ctx.is_applied is None:
        return Found(None, f"not evaluated: no journal to ask whether step {spec.arg} is applied")
    if ctx.is_applied(str(spec.arg)):
        return Found(True, f"step {spec.arg} is applied")
    return Found(False, f"step {spec.arg} is not applied")


def dialect(spec: CheckSpec, ctx: CheckContext) -> Found:
    wanted = (spec.arg,) if isinstance(spec.arg, str) else tuple(spec.arg)
    if ctx.dialect in wanted:
        return Found(True, f"database is {ctx.dialect}")
    return Found(False, f"database is {ctx.dialect}, expected {' or '.join(wanted)}")


def all_(spec: CheckSpec, ctx: CheckContext) -> Found:
    children = _children(spec, ctx)
    failed = [c for c in children if c.held is False]
    open_ = [c for c in children if c.held is None]
    if failed:
        first = failed[0]
        return Found(False, f"{len(failed)} of {len(children)} checks failed; first: {first.label}: {first.detail}", children=children, error=first.error)
    if open_:
        return Found(None, f"{len(open_)} of {len(children)} checks not evaluated", children=children)
    return Found(True, f"all {len(children)} checks held", children=children)


def any_(spec: CheckSpec, ctx: CheckContext) -> Found:
    children = _children(spec, ctx)
    held = [c for c in children if c.held]
    if held:
        return Found(True, f"{len(held)} of {len(children)} checks held; first: {held[0].label}", children=children)
    if any(c.held is None for c in children):
        return Found(None, f"none of {len(children)} checks held, some not evaluated", children=children)
    details = "; ".join(f"{c.label}: {c.detail}" for c in children)
    return Found(False, f"none of {len(children)} checks held: {details}", children=children)


def not_(spec: CheckSpec, ctx: CheckContext) -> Found:
    (child,) = _children(spec, ctx, (spec.arg,))
    if child.error is not None:
        # A broken check proves nothing, so its negation does not hold either.
        return Found(False, f"the check could not run: {child.detail}", children=(child,), error=child.error)
    if child.held is None:
        return Found(None, f"not evaluated: {child.detail}", children=(child,))
    if child.held:
        return Found(False, f"the check held: {child.detail}", children=(child,))
    return Found(True, f"the check did not hold: {child.detail}", children=(child,))


def _children(spec: CheckSpec, ctx: CheckContext, specs=None) -> tuple:
    from migrator.checks import evaluate  # the registry lives there

    return tuple(evaluate(child, ctx) for child in (specs if specs is not None else spec.arg))
