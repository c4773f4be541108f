"""The fake provider: Switchboard's simulated providers (``daemon.sim``).

It lives in the daemon package, not here, because the same fake backs ``switchboard daemon --demo``
(DESIGN.md §8); tests import it from here so the boundary stays visible.
"""

from daemon.sim import Fault, SimServer, answer_text, instant_profiles

__all__ = ["Fault", "SimServer", "answer_text", "instant_profiles"]
