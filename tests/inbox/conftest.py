# The demand fixtures (a handler, a routing rule, `cases.submit()`), shared with tests/demands.
from ..demands.conftest import cases  # noqa: F401
