"""What hosted models cost: a built-in price table per provider, overridable in config.

Prices change; the built-in ones are a convenience, dated below, and `[providers.<name>.prices]`
in config.toml overrides them per model. A model in neither table has no known price: its
calls cost 0 in the totals and the Result counts them as unpriced, so nobody mistakes
"unknown" for "free".

```toml
[providers.openai.prices."gpt-4.1-mini"]
input_per_mtok = 0.40    # USD per million input tokens
output_per_mtok = 1.60
```
"""

from __future__ import annotations

import re

from imagent.settings import Price, ProviderSettings

# OpenAI: list prices of the standard tier as published on 2025-08-07.
# DashScope: international (Singapore) prices of the first context tier as published on
# 2025-04-22; the Beijing region bills in CNY at other rates, so set your own there.
PRICES_AS_OF = {"openai": "2025-08-07", "dashscope": "2025-04-22"}
BUILTIN_PRICES: dict[str, dict[str, Price]] = {
    "openai": {
        "gpt-4o": Price(input_per_mtok=2.50, output_per_mtok=10.00),
        "gpt-4o-mini": Price(input_per_mtok=0.15, output_per_mtok=0.60),
        "gpt-4.1": Price(input_per_mtok=2.00, output_per_mtok=8.00),
        "gpt-4.1-mini": Price(input_per_mtok=0.40, output_per_mtok=1.60),
        "gpt-4.1-nano": Price(input_per_mtok=0.10, output_per_mtok=0.40),
        "gpt-5": Price(input_per_mtok=1.25, output_per_mtok=10.00),
        "gpt-5-mini": Price(input_per_mtok=0.25, output_per_mtok=2.00),
        "gpt-5-nano": Price(input_per_mtok=0.05, output_per_mtok=0.40),
    },
    "dashscope": {
        "qwen-max": Price(input_per_mtok=1.60, output_per_mtok=6.40),
        "qwen-plus": Price(input_per_mtok=0.40, output_per_mtok=1.20),
        "qwen-turbo": Price(input_per_mtok=0.05, output_per_mtok=0.20),
        "qwen-vl-max": Price(input_per_mtok=0.80, output_per_mtok=3.20),
        "qwen-vl-plus": Price(input_per_mtok=0.21, output_per_mtok=0.63),
    },
}
# A dated snapshot costs what its model does: gpt-4o-mini-2024-07-18, qwen-plus-latest.
_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4}|latest)$")


def _lookup(table: dict[str, Price], model: str) -> Price | None:
    if model in table:
        return table[model]
    base = _SNAPSHOT.sub("", model)
    return table.get(base) if base != model else None


def price_for(provider: str, model: str, section: ProviderSettings) -> Price | None:
    """The price of `provider/model`: the config's table first, then the built-in one."""
    for table in (section.prices, BUILTIN_PRICES.get(provider, {})):
        if (price := _lookup(table, model)) is not None:
            return price
    return None


def token_cost_usd(price: Price, input_tokens: int, output_tokens: int) -> float:
    """USD for one LLM call at `price`."""
    return (input_tokens * price.input_per_mtok + output_tokens * price.output_per_mtok) / 1e6
