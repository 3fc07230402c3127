"""The scheduler's own count of the graphs clients submit: the oracle of "one
graph submission per evaluation" (tests/test_dask.py) and a column of
benchmarks/dask_scaling.py. Needs ``distributed``."""

from distributed.diagnostics.plugin import SchedulerPlugin


class CountSubmissions(SchedulerPlugin):
    """Counts the graphs clients submit to the scheduler (register it with
    ``client.register_plugin(CountSubmissions())``)."""

    name = "count-submissions"

    def __init__(self):
        self.count = 0

    def update_graph(self, scheduler, **kwargs):
        self.count += 1


def submissions(client) -> int:
    """How many graphs the scheduler of ``client`` has received so far."""
    return client.run_on_scheduler(
        lambda dask_scheduler: dask_scheduler.plugins["count-submissions"].count
    )
