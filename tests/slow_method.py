"""A deterministic, slow test method for the kill-and-resume test (imported by `sp-run` through
`$STEERABLE_PLURALISM_METHODS=slow_method`). Every call is appended to the file `$SP_CALLS` *before* it is
computed, so the test sees which units were started, by which process."""
import os, time
from steerable_pluralism.methods import AttributeScoresMethod, register

@register('slow-fake')
class SlowMethod(AttributeScoresMethod):
    name = 'slow-fake'
    def __init__(self, attributes, delay: float = float(os.environ.get('SP_DELAY', 0.2)), **_):
        super().__init__(attributes); self.delay = delay
    def config(self): return {'name': self.name, 'attributes': self.attributes}
    def score(self, scenario, attribute):
        with open(os.environ['SP_CALLS'], 'a') as f: f.write(f"{os.getpid()} {scenario.id} {attribute}\n")
        time.sleep(self.delay)
        return {'scores': [round((len(r) % 97) / 96, 4) for r in scenario.responses], 'failed': False, 'pid': os.getpid()}
