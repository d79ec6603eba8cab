from django.db import models


class BaseModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class JobRun(models.Model):
    """One slot of a periodic job, claimed by exactly one worker (unique name + slot)."""

    name = models.CharField(max_length=100)
    slot = models.DateTimeField()
    claimed_by = models.CharField(max_length=64)
    claimed_at = models.DateTimeField()
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "slot"], name="core_jobrun_one_per_slot")
        ]
        indexes = [models.Index(fields=["name", "-slot"], name="core_jobrun_latest")]

    def __str__(self) -> str:
        return f"{self.name}@{self.slot:%Y-%m-%d %H:%M}"
