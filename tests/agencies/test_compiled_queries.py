"""CompiledQuery: a query of fixed shape compiled once per process, run with new values; it
must give what the queryset itself gives, and refuse what it cannot run as the ORM would."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies import services as agencies
from agencies.models import ApiToken, Unit, User
from agencies.queries import CompiledQuery, Many

pytestmark = pytest.mark.django_db

USERNAME = User._meta.get_field("username")
PK = User._meta.pk


def counting(build: Any) -> tuple[list[int], Any]:
    """`build`, counting its calls."""
    calls: list[int] = []

    def counted(**values: Any) -> Any:
        calls.append(1)
        return build(**values)

    return calls, counted


def fields_of(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_it_gives_the_rows_the_queryset_gives_with_their_related_rows(drafter, signer):
    # given a query of users with their unit, by username
    calls, build = counting(
        lambda username: User.objects.select_related("unit").filter(username=username)
    )
    query = CompiledQuery(build, username=USERNAME)

    # when it runs for one user, then another
    first = query.rows(username=drafter.username)
    with CaptureQueriesContext(connection) as statements:
        second = query.row(username=signer.username)

    # then each is the row the ORM reads, unit included, in one statement and no new build
    assert [fields_of(u) for u in first] == [fields_of(drafter)]
    assert second is not None and fields_of(second) == fields_of(
        User.objects.get(username=signer.username)
    )
    assert len(statements.captured_queries) == 1
    assert second.unit == signer.unit and len(statements.captured_queries) == 1
    assert len(calls) == 2  # once with markers, once with the real values to check the SQL
    assert second._state.adding is False and second._state.db == "default"


def test_nothing_found_is_none_and_deferred_fields_stay_deferred(drafter):
    query = CompiledQuery(
        lambda username: User.objects.defer("password").filter(username=username),
        username=USERNAME,
    )

    assert query.row(username="nobody-of-that-name") is None
    user = query.row(username=drafter.username)
    assert user is not None and "password" in user.get_deferred_fields()


def test_a_datetime_value_is_compared_as_the_orm_compares_it(drafter):
    # given a token valid for a day, and a query of tokens alive at an instant
    token, _key = agencies.api_token_create(user=drafter)
    query = CompiledQuery(
        lambda user_id, now: ApiToken.objects.filter(user_id=user_id, expires_at__gt=now),
        user_id=ApiToken._meta.get_field("user"),
        now=ApiToken._meta.get_field("expires_at"),
    )
    now = timezone.now()

    # then it is alive now and not after its expiry, as the ORM says
    assert [t.pk for t in query.rows(user_id=drafter.pk, now=now)] == [token.pk]
    later = token.expires_at + dt.timedelta(seconds=1)
    assert query.rows(user_id=drafter.pk, now=later) == []
    assert list(ApiToken.objects.filter(user_id=drafter.pk, expires_at__gt=later)) == []


def test_a_none_value_runs_the_queryset_itself(drafter):
    # `username = NULL` is not `IS NULL`: the ORM's own SQL decides
    query = CompiledQuery(
        lambda last_login: User.objects.filter(last_login=last_login),
        last_login=User._meta.get_field("last_login"),
    )

    assert {u.pk for u in query.rows(last_login=None)} == set(
        User.objects.filter(last_login__isnull=True).values_list("pk", flat=True)
    )


def test_a_bad_value_is_refused_as_the_orm_refuses_it(drafter):
    query = CompiledQuery(lambda pk: User.objects.filter(pk=pk), pk=User._meta.pk)
    query.rows(pk=drafter.pk)

    with pytest.raises(ValueError):
        query.rows(pk="not a number")
    with pytest.raises(TypeError):
        query.rows(id=drafter.pk)


def test_a_value_used_other_than_as_it_is_is_refused(drafter):
    # a value wrapped by its lookup (`%…%`) or used twice has no single place to fill
    contains = CompiledQuery(
        lambda name: User.objects.filter(full_name__icontains=name),
        name=User._meta.get_field("full_name"),
    )
    twice = CompiledQuery(
        lambda name: User.objects.filter(username=name) | User.objects.filter(full_name=name),
        name=USERNAME,
    )

    with pytest.raises(TypeError, match="used once"):
        contains.rows(name="Bình")
    with pytest.raises(TypeError, match="used once"):
        twice.rows(name=drafter.username)


def test_a_query_whose_sql_depends_on_its_values_is_refused(drafter):
    query = CompiledQuery(
        lambda username: User.objects.filter(username=username).exclude(
            role=User.Role.DRAFTER if username.startswith("chuyen") else User.Role.SIGNER
        ),
        username=USERNAME,
    )

    with pytest.raises(TypeError, match="depends on its values"):
        query.rows(username=drafter.username)


def test_what_it_cannot_make_as_django_does_is_refused(drafter):
    prefetching = CompiledQuery(
        lambda code: Unit.objects.filter(code=code).prefetch_related("members"),
        code=Unit._meta.get_field("code"),
    )
    named = CompiledQuery(
        lambda username: User.objects.filter(username=username).values_list("pk", named=True),
        username=USERNAME,
    )

    with pytest.raises(TypeError, match="prefetch_related"):
        prefetching.rows(code=drafter.unit.code)
    with pytest.raises(TypeError, match="NamedValuesListIterable"):
        named.rows(username=drafter.username)


@pytest.mark.django_db(transaction=True)
def test_a_locking_query_needs_a_transaction_every_time(drafter):
    query = CompiledQuery(
        lambda username: User.objects.select_for_update().filter(username=username),
        username=USERNAME,
    )
    with transaction.atomic():
        assert query.row(username=drafter.username) == drafter

    # compiled already: outside a transaction it is still refused, as select_for_update is
    with pytest.raises(TransactionManagementError):
        query.row(username=drafter.username)


@pytest.mark.django_db(transaction=True)
def test_each_thread_runs_it_on_its_own_connection(drafter, signer, agency_head):
    # given a query compiled on this thread's connection
    query = CompiledQuery(
        lambda username: User.objects.select_related("unit").filter(username=username),
        username=USERNAME,
    )
    assert query.row(username=drafter.username) == drafter
    people = [drafter, signer, agency_head] * 4
    found: list[Any] = [None] * len(people)
    barrier = threading.Barrier(len(people))

    def look_up(i: int) -> None:
        barrier.wait()
        try:
            found[i] = query.row(username=people[i].username)
        except Exception as error:
            found[i] = error
        finally:
            connection.close()

    # when twelve threads run it at once
    threads = [threading.Thread(target=look_up, args=(i,)) for i in range(len(people))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then each found its own person
    assert found == people
    assert [u.unit_id for u in found] == [p.unit_id for p in people]


@pytest.mark.django_db(transaction=True)
def test_a_new_thread_runs_it_as_compiled_without_building_it_again(drafter, signer):
    # given a query compiled on this thread (built twice: the markers, then the check)
    calls, build = counting(lambda username: User.objects.filter(username=username))
    query = CompiledQuery(build, username=USERNAME)
    assert query.row(username=drafter.username) == drafter
    assert len(calls) == 2
    found: list[Any] = []

    def look_up() -> None:
        try:
            found.append(query.row(username=signer.username))
        finally:
            connection.close()

    # when new threads, each with its own connection, run it one after another
    for _ in range(3):
        thread = threading.Thread(target=look_up)
        thread.start()
        thread.join(timeout=60)

    # then each found the person on its own connection, and none built the query again
    assert found == [signer] * 3
    assert len(calls) == 2


def test_values_and_values_list_give_what_the_queryset_gives(drafter, signer):
    def build(user_ids: Any, how: str) -> Any:
        users = User.objects.filter(pk__in=user_ids).order_by("pk")
        return {
            "tuples": users.values_list("pk", "unit__code", "username"),
            "flat": users.values_list("username", flat=True),
            "dicts": users.values("pk", "username"),
        }[how]

    ids = [drafter.pk, signer.pk]
    for how in ("tuples", "flat", "dicts"):
        query = CompiledQuery(lambda user_ids, how=how: build(user_ids, how), user_ids=Many(PK))
        assert query.rows(user_ids=ids) == list(build(ids, how)), how


def test_a_list_takes_any_length_with_few_shapes_and_as_django_reads_it(directory):
    # given a query of users by a list of ids, whose builds are counted
    calls, build = counting(
        lambda user_ids: (
            User.objects.filter(pk__in=user_ids).order_by("pk").values_list("pk", flat=True)
        )
    )
    query = CompiledQuery(build, user_ids=Many(PK))
    everyone = sorted(User.objects.values_list("pk", flat=True))
    assert len(everyone) >= 8

    # when it runs for 1 to 8 ids (shapes of 1, 2, 4 and 8 places)
    for n in range(1, 9):
        assert query.rows(user_ids=everyone[:n]) == everyone[:n]
    assert len(calls) == 2 * 4

    # then repeated ids and None are read as Django reads them, and no id is no statement
    assert query.rows(user_ids=[everyone[2], everyone[0], everyone[2], None]) == [
        everyone[0],
        everyone[2],
    ]
    with CaptureQueriesContext(connection) as statements:
        assert query.rows(user_ids=[]) == [] and query.rows(user_ids=[None]) == []
    assert statements.captured_queries == []
    with pytest.raises(TypeError, match="list"):
        query.rows(user_ids=everyone[0])


def test_recipients_by_id_are_those_of_the_queryset(drafter, signer, agency_head):
    from notifications.selectors import notification_recipients_by_id, notification_recipients_of
    from notifications.services import notify_on_commit

    notify_on_commit(user_ids=[signer.pk], kind="task.assigned", title="Một việc")
    ids = [drafter.pk, signer.pk, agency_head.pk]

    by_id = notification_recipients_by_id(user_ids=ids)

    assert by_id == notification_recipients_of(users=User.objects.filter(pk__in=ids))
    assert by_id[signer.pk].unread == 1 and by_id[drafter.pk].unread == 0
