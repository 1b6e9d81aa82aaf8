"""The floor's tables: the rows a task completion, a list, an issuance and a push touch."""

from django.db import models
from django.utils import timezone


class Person(models.Model):  # noqa: DJ008 - never shown
    name = models.CharField(max_length=150)
    unit = models.IntegerField(db_index=True)


class AccessToken(models.Model):  # noqa: DJ008 - never shown
    key = models.CharField(max_length=40, primary_key=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE)


class Item(models.Model):  # noqa: DJ008 - never shown
    """A plan: its owner acts on it; status moves; content is a few KB of JSON as a plan's is."""

    owner = models.ForeignKey(Person, on_delete=models.CASCADE)
    title = models.CharField(max_length=500)
    status = models.CharField(max_length=30)
    version = models.PositiveIntegerField(default=0)
    number = models.PositiveIntegerField(null=True)
    content = models.JSONField(default=dict)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["owner", "-updated_at", "-id"])]


class Audit(models.Model):  # noqa: DJ008 - never shown
    item = models.ForeignKey(Item, on_delete=models.CASCADE)
    actor = models.ForeignKey(Person, on_delete=models.CASCADE)
    kind = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)


class Note(models.Model):  # noqa: DJ008 - never shown
    person = models.ForeignKey(Person, on_delete=models.CASCADE, db_index=False)
    kind = models.CharField(max_length=64)
    title = models.CharField(max_length=255)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["person", "id"])]


class Register(models.Model):  # noqa: DJ008 - never shown
    year = models.PositiveIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)


class Issued(models.Model):  # noqa: DJ008 - never shown
    item = models.OneToOneField(Item, on_delete=models.CASCADE)
    number = models.PositiveIntegerField()
    pdf = models.BinaryField()
