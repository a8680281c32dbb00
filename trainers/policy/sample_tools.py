"""The tools of the bundled tool-use sample (``rewardkit/data/tool_use``): a weather table, a unit
converter and a calculator, deterministic so that a run's trajectories can be checked.

``rewardkit train tools`` hands them to GRPO as ``tools=``; TRL writes their schemas (from the
type hints and docstrings below) into the prompt and runs them when the model calls them.
"""

from __future__ import annotations

WEATHER = {
    "paris": "cloudy, 14 C", "tokyo": "sunny, 22 C", "cairo": "sunny, 31 C", "lima": "foggy, 17 C",
    "oslo": "snow, -3 C", "sydney": "windy, 19 C", "nairobi": "rain, 20 C", "toronto": "clear, 5 C",
    "mumbai": "humid, 29 C", "berlin": "rain, 9 C", "rome": "sunny, 18 C", "denver": "clear, 2 C",
}  # fmt: skip
# Factors to a base unit per kind: metres, kilograms; temperatures are converted apart.
FACTORS = {"km": 1000.0, "mi": 1609.344, "m": 1.0, "ft": 0.3048, "kg": 1.0, "lb": 0.45359237}


def get_weather(city: str) -> str:
    """Get the current weather in a city.

    Args:
        city: The city's name, e.g. Paris.
    """
    found = WEATHER.get(city.strip().lower())
    if found is None:
        raise ValueError(f"no weather for {city!r}; known cities: {', '.join(sorted(WEATHER))}")
    return found


def convert_units(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a quantity from one unit to another (km, mi, m, ft, kg, lb, C, F).

    Args:
        value: The quantity to convert.
        from_unit: The unit it is in.
        to_unit: The unit to convert it to.
    """
    if {from_unit, to_unit} == {"C", "F"}:
        return round(value * 9 / 5 + 32 if from_unit == "C" else (value - 32) * 5 / 9, 2)
    if from_unit not in FACTORS or to_unit not in FACTORS:
        raise ValueError(f"unknown unit; known: {', '.join([*FACTORS, 'C', 'F'])}")
    return round(value * FACTORS[from_unit] / FACTORS[to_unit], 2)


def multiply(a: int, b: int) -> int:
    """Multiply two integers.

    Args:
        a: The first factor.
        b: The second factor.
    """
    return a * b
