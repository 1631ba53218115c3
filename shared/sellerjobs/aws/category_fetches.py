"""Category fetch jobs in DynamoDB: the job, its work items and its failures in one partition.

    pk = JOB#<jobId>  sk = META                              the job: status, counters, lease
    pk = JOB#<jobId>  sk = TODO#<due at, 13 digits>#<id>     a category still to fetch, due then
    pk = JOB#<jobId>  sk = FAIL#<categoryId>                 a category that failed for good
    pk = SLOTS#<userId>  sk = SLOT#<n>                       a run slot of the user's, held until a time
    pk = JOB#<jobId>  sk = RUNS                              the job's run log (sellerjobs.categories.job.RunLog)
    pk = COUNTS       sk = FETCHES                           every seller's jobs by status

A job's status changes are transactions with the counters item (one write per change: jobs
change status a handful of times in their life, so one item takes them all). The run log is an
item of its own, written with the lease's release at the end of each run: kept out of the job's
item, which every fetched category updates, it costs nothing per category.

Sort keys make the job's next due work one range query. Indexes:

    ByUser      userId, listKey = "1#<created>" while active, "0#<created>" when finished:
                newest first, active before finished, in one query.
    ActiveJobs  activeShard (sparse: only while queued or processing), createdAt: what the
                every-minute tick fans out.
    AllJobs     kind = "fetch-job", createdAt: every seller's jobs, newest first (operators).

Fetching a category stores its aspects, deletes its work item (only if still there) and adds to
the job's counters in one transaction, so a counter can never count a category twice. Finishing
a job stores its event in the outbox (``EventsTable``) in the same transaction.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from sellerjobs.aws import clients
from sellerjobs.aws.aspects import AspectItems
from sellerjobs.aws.dynamo import cancellation_reasons, error_code, from_item, is_condition_failure, to_item, to_values
from sellerjobs.aws.events import OutboxItems
from sellerjobs.aws.merged_query import Partition, merged_page
from sellerjobs.categories.job import (
    AspectRecord,
    Category,
    FailedCategory,
    FetchJob,
    FetchMode,
    FetchStatus,
    RunEntry,
    WorkItem,
    dump_runs,
    load_runs,
)
from sellerjobs.categories.ports import FetchFilter, JobNotActive
from sellerjobs.events.model import JobEvent
from sellerjobs.jobs.history import appended

META = "META"
RUNS = "RUNS"
BY_USER = "ByUser"
ACTIVE_JOBS = "ActiveJobs"
ALL_JOBS = "AllJobs"
JOB_KIND = "fetch-job"
COUNTS_KEY = {"pk": "COUNTS", "sk": "FETCHES"}
ACTIVE_SHARD = "active"
BATCH_WRITE = 25
TRANSACTION_CATEGORIES = 30  # x (put aspects + delete work) + 1 counter update <= 100 items
ACTIVE = (FetchStatus.QUEUED.value, FetchStatus.PROCESSING.value)


def _pk(job_id: str) -> str:
    return f"JOB#{job_id}"


def _slots_pk(user_id: str) -> str:
    return f"SLOTS#{user_id}"


def _todo_sk(due_at: int, category_id: str) -> str:
    return f"TODO#{due_at:013d}#{category_id}"


@dataclass
class DynamoFetchJobs:
    table: str
    aspects: AspectItems | None = None  # where fetched aspects go: only the worker stores them
    outbox: OutboxItems | None = None  # where finishing and progress events go

    # -- mapping -----------------------------------------------------------------------------

    @staticmethod
    def _job_values(job: FetchJob) -> dict[str, Any]:
        return {
            "pk": _pk(job.id), "sk": META, "jobId": job.id, "userId": job.user_id,
            "marketplaceId": job.marketplace_id, "status": job.status.value, "mode": job.mode.value,
            "createdAt": job.created_at, "updatedAt": job.updated_at, "parentCategoryId": job.parent_category_id,
            "parentLabel": job.parent_label, "maxCategories": job.max_categories, "treeId": job.tree_id,
            "treeVersion": job.tree_version, "analysed": job.analysed, "total": job.total,
            "processed": job.processed, "success": job.success, "failed": job.failed, "error": job.error,
            "listKey": _list_key(job.status, job.created_at),
            "activeShard": ACTIVE_SHARD if job.status.active else None, "kind": JOB_KIND,
        }

    @staticmethod
    def _job(raw: dict[str, Any]) -> FetchJob:
        item = from_item(raw)
        return FetchJob(
            id=item["jobId"], user_id=item["userId"], marketplace_id=item["marketplaceId"],
            status=FetchStatus(item["status"]), mode=FetchMode(item["mode"]), created_at=int(item["createdAt"]),
            updated_at=int(item["updatedAt"]), parent_category_id=item.get("parentCategoryId"),
            parent_label=item.get("parentLabel", ""),
            max_categories=int(item["maxCategories"]) if item.get("maxCategories") is not None else None,
            tree_id=item.get("treeId"), tree_version=item.get("treeVersion", ""),
            analysed=bool(item.get("analysed")), total=int(item.get("total", 0)),
            processed=int(item.get("processed", 0)), success=int(item.get("success", 0)),
            failed=int(item.get("failed", 0)), error=item.get("error"), lease_owner=item.get("leaseOwner"),
            lease_until=int(item.get("leaseUntil", 0)), resume_at=int(item.get("resumeAt", 0)),
            finishes=int(item.get("finishes", 0)), progress_at=int(item.get("progressAt", 0)))

    @staticmethod
    def _work(raw: dict[str, Any]) -> WorkItem:
        item = from_item(raw)
        return WorkItem(category=Category(item["categoryId"], item.get("categoryName", "")),
                        due_at=int(item["dueAt"]), attempts=int(item.get("attempts", 0)),
                        last_error=item.get("lastError"))

    def _work_put(self, job_id: str, item: WorkItem) -> dict[str, Any]:
        return to_item({"pk": _pk(job_id), "sk": _todo_sk(item.due_at, item.category.category_id),
                        "categoryId": item.category.category_id, "categoryName": item.category.name,
                        "dueAt": item.due_at, "attempts": item.attempts, "lastError": item.last_error})

    def _work_delete(self, job_id: str, item: WorkItem) -> dict[str, Any]:
        return {"Delete": {"TableName": self.table,
                           "Key": to_item({"pk": _pk(job_id), "sk": _todo_sk(item.due_at, item.category.category_id)}),
                           "ConditionExpression": "attribute_exists(pk)"}}

    def _counters(self, job_id: str, now_ms: int, **deltas: int) -> dict[str, Any]:
        """Add to the job's counters, only while the job is active (a cancelled job stops counting)."""
        values = {f":{k}": v for k, v in deltas.items()} | {":now": now_ms, ":a0": ACTIVE[0], ":a1": ACTIVE[1]}
        return {"Update": {
            "TableName": self.table, "Key": to_item({"pk": _pk(job_id), "sk": META}),
            "UpdateExpression": "ADD " + ", ".join(f"#{k} :{k}" for k in deltas) + " SET updatedAt = :now",
            "ConditionExpression": "#status IN (:a0, :a1)",
            "ExpressionAttributeNames": {f"#{k}": k for k in deltas} | {"#status": "status"},
            "ExpressionAttributeValues": to_values(values),
        }}

    # -- creating ----------------------------------------------------------------------------

    def _count(self, **deltas: int) -> dict[str, Any]:
        """Move jobs between statuses in the counters item (a transaction's part)."""
        deltas = {k: v for k, v in deltas.items() if v}
        return {"Update": {
            "TableName": self.table, "Key": to_item(COUNTS_KEY),
            "UpdateExpression": "ADD " + ", ".join(f"#{k} :{k}" for k in deltas),
            "ExpressionAttributeNames": {f"#{k}": k for k in deltas},
            "ExpressionAttributeValues": to_values({f":{k}": v for k, v in deltas.items()})}}

    def _moved(self, update: dict[str, Any], old: FetchStatus, new: FetchStatus,
               also: Sequence[dict[str, Any]] = ()) -> bool:
        """Apply ``update`` (conditional on the job being ``old``) and count the move, with ``also``
        (the events the move announces) in the same transaction; False when the job was not ``old``."""
        return self._transact([{"Update": update}, self._count(**{old.value: -1, new.value: +1}), *also])

    def counts(self) -> dict[str, int]:
        item = from_item(clients.dynamodb().get_item(TableName=self.table, Key=to_item(COUNTS_KEY)).get("Item") or {})
        return {status.value: int(item.get(status.value, 0)) for status in FetchStatus}

    def create(self, job: FetchJob, categories: Sequence[Category]) -> None:
        items: list[Any] = [{"Put": {"TableName": self.table, "Item": to_item(self._job_values(job)),
                                     "ConditionExpression": "attribute_not_exists(pk)"}},
                            self._count(**{job.status.value: 1})]
        clients.dynamodb().transact_write_items(TransactItems=items)
        self._write_work(job.id, [WorkItem(category=c) for c in categories])

    def add_work(self, job: FetchJob, categories: Sequence[Category]) -> FetchJob:
        # The work first, then the flag: a crash in between leaves the job unanalysed, and the next
        # run reads the tree again and rewrites the same items.
        self._write_work(job.id, [WorkItem(category=c) for c in categories])

        def update(from_status: FetchStatus) -> dict[str, Any]:
            return {
                "TableName": self.table, "Key": to_item({"pk": _pk(job.id), "sk": META}),
                "UpdateExpression": "SET analysed = :t, #total = :total, #mode = :mode, #status = :processing, "
                                    "updatedAt = :now",
                "ConditionExpression": "#status = :from",
                "ExpressionAttributeNames": {"#total": "total", "#mode": "mode", "#status": "status"},
                "ExpressionAttributeValues": to_values({
                    ":t": True, ":total": job.total, ":mode": job.mode.value, ":now": job.updated_at,
                    ":processing": FetchStatus.PROCESSING.value, ":from": from_status.value})}

        if self._moved(update(FetchStatus.QUEUED), FetchStatus.QUEUED, FetchStatus.PROCESSING):
            return job
        try:
            clients.dynamodb().update_item(**update(FetchStatus.PROCESSING))
        except ClientError as exc:
            if is_condition_failure(exc):
                raise JobNotActive(job.id) from exc  # cancelled while its tree was read
            raise
        return job

    def _write_work(self, job_id: str, items: Sequence[WorkItem]) -> None:
        requests = [{"PutRequest": {"Item": self._work_put(job_id, item)}} for item in items]
        for start in range(0, len(requests), BATCH_WRITE):
            pending: dict[str, Any] = {self.table: requests[start:start + BATCH_WRITE]}
            for pause in (0.0, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6):
                time.sleep(pause)
                response = clients.dynamodb().batch_write_item(RequestItems=pending)
                pending = dict(response.get("UnprocessedItems") or {})
                if not pending:
                    break
            else:
                raise RuntimeError("DynamoDB left work items unwritten after several retries")

    # -- reading -----------------------------------------------------------------------------

    def get(self, job_id: str) -> FetchJob | None:
        response = clients.dynamodb().get_item(TableName=self.table, Key=to_item({"pk": _pk(job_id), "sk": META}),
                                               ConsistentRead=True)
        raw = response.get("Item")
        return self._job(raw) if raw else None

    def for_user(self, user_id: str, limit: int) -> list[FetchJob]:
        response = clients.dynamodb().query(
            TableName=self.table, IndexName=BY_USER, KeyConditionExpression="userId = :u", ScanIndexForward=False,
            Limit=limit, ExpressionAttributeValues=to_values({":u": user_id}))
        return [self._job(raw) for raw in response.get("Items", [])]

    def search(self, where: FetchFilter, limit: int, cursor: str | None) -> tuple[list[FetchJob], str | None]:
        if where.job_id is not None:
            job = self.get(where.job_id)
            return ([job] if job is not None and where.matches(job) else []), None
        if where.seller is not None:
            # The seller's jobs come whole from their index (active first, then newest).
            partition = Partition("u", BY_USER, "userId", where.seller, "listKey")
            taken, next_cursor = merged_page(self.table, [partition], limit, cursor)
            jobs = [self._job(raw) for _, raw in taken]
        else:
            partition = Partition("a", ALL_JOBS, "kind", JOB_KIND, "createdAt", where.since, where.until)
            taken, next_cursor = merged_page(self.table, [partition], limit, cursor)
            jobs = self._get_many([raw["pk"]["S"].removeprefix("JOB#") for _, raw in taken])
        return [job for job in jobs if where.matches(job)], next_cursor

    def _get_many(self, job_ids: list[str]) -> list[FetchJob]:
        if not job_ids:
            return []
        request: dict[str, Any] = {self.table: {"Keys": [to_item({"pk": _pk(j), "sk": META}) for j in job_ids]}}
        found: dict[str, FetchJob] = {}
        for pause in (0.0, 0.05, 0.1, 0.2, 0.4):
            time.sleep(pause)
            response = clients.dynamodb().batch_get_item(RequestItems=request)
            for raw in response.get("Responses", {}).get(self.table, []):
                job = self._job(raw)
                found[job.id] = job
            request = dict(response.get("UnprocessedKeys") or {})
            if not request:
                break
        return [found[j] for j in job_ids if j in found]

    def active(self, limit: int) -> list[FetchJob]:
        response = clients.dynamodb().query(
            TableName=self.table, IndexName=ACTIVE_JOBS, KeyConditionExpression="activeShard = :s", Limit=limit,
            ExpressionAttributeValues=to_values({":s": ACTIVE_SHARD}))
        return [self._job(raw) for raw in response.get("Items", [])]

    def failures(self, job_id: str, limit: int) -> list[FailedCategory]:
        response = clients.dynamodb().query(
            TableName=self.table, KeyConditionExpression="pk = :pk AND begins_with(sk, :f)", Limit=limit,
            ExpressionAttributeValues=to_values({":pk": _pk(job_id), ":f": "FAIL#"}))
        found = []
        for raw in response.get("Items", []):
            item = from_item(raw)
            found.append(FailedCategory(Category(item["categoryId"], item.get("categoryName", "")), item["error"]))
        return found

    def due_work(self, job_id: str, now_ms: int, limit: int) -> list[WorkItem]:
        response = clients.dynamodb().query(
            TableName=self.table, KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi", Limit=limit,
            ConsistentRead=True,
            ExpressionAttributeValues=to_values({":pk": _pk(job_id), ":lo": "TODO#", ":hi": f"TODO#{now_ms:013d}#~"}))
        return [self._work(raw) for raw in response.get("Items", [])]

    def all_work(self, job_id: str) -> list[WorkItem]:
        found: list[WorkItem] = []
        start: dict[str, Any] | None = None
        while True:
            kwargs: dict[str, Any] = {
                "TableName": self.table, "KeyConditionExpression": "pk = :pk AND begins_with(sk, :t)",
                "ConsistentRead": True, "ExpressionAttributeValues": to_values({":pk": _pk(job_id), ":t": "TODO#"})}
            if start:
                kwargs["ExclusiveStartKey"] = start
            response = clients.dynamodb().query(**kwargs)
            found += [self._work(raw) for raw in response.get("Items", [])]
            start = response.get("LastEvaluatedKey")
            if not start:
                return found

    def next_work_due(self, job_id: str) -> int | None:
        response = clients.dynamodb().query(
            TableName=self.table, KeyConditionExpression="pk = :pk AND begins_with(sk, :t)", Limit=1,
            ConsistentRead=True, ExpressionAttributeValues=to_values({":pk": _pk(job_id), ":t": "TODO#"}))
        items = response.get("Items", [])
        return self._work(items[0]).due_at if items else None

    # -- the lease ---------------------------------------------------------------------------

    def take_lease(self, job_id: str, owner: str, now_ms: int, until_ms: int) -> FetchJob | None:
        try:
            response = clients.dynamodb().update_item(
                TableName=self.table, Key=to_item({"pk": _pk(job_id), "sk": META}),
                UpdateExpression="SET leaseOwner = :owner, leaseUntil = :until",
                ConditionExpression="#status IN (:a0, :a1) AND "
                                    "(attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :owner)",
                ExpressionAttributeNames={"#status": "status"}, ReturnValues="ALL_NEW",
                ExpressionAttributeValues=to_values({":owner": owner, ":until": until_ms, ":now": now_ms,
                                                     ":a0": ACTIVE[0], ":a1": ACTIVE[1]}))
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        job = self._job(response["Attributes"])
        if job.analysed and job.status is FetchStatus.QUEUED:
            # The first run of an analysed job: from now on it is being processed.
            self._moved({"TableName": self.table, "Key": to_item({"pk": _pk(job_id), "sk": META}),
                         "UpdateExpression": "SET #status = :p", "ConditionExpression": "#status = :q",
                         "ExpressionAttributeNames": {"#status": "status"},
                         "ExpressionAttributeValues": to_values({":p": FetchStatus.PROCESSING.value,
                                                                 ":q": FetchStatus.QUEUED.value})},
                        FetchStatus.QUEUED, FetchStatus.PROCESSING)
            job = job.touched(job.updated_at, status=FetchStatus.PROCESSING)
        return job

    def release_lease(self, job_id: str, owner: str, resume_at: int = 0, run: RunEntry | None = None) -> None:
        release: dict[str, Any] = {"TableName": self.table, "Key": to_item({"pk": _pk(job_id), "sk": META}),
                   "UpdateExpression": "SET leaseUntil = :zero, resumeAt = :resume",
                   "ConditionExpression": "leaseOwner = :owner",
                   "ExpressionAttributeValues": to_values({":zero": 0, ":owner": owner, ":resume": resume_at})}
        if run is None:
            try:
                clients.dynamodb().update_item(**release)
            except ClientError as exc:
                if not is_condition_failure(exc):
                    raise
            return
        # The run's entry goes with the release: only the lease's holder writes the log, so reading
        # it first races with nobody; a run that lost its lease writes neither.
        runs = appended(self.run_log(job_id), run)
        self._transact([{"Update": release}, {"Put": {"TableName": self.table, "Item": to_item({
            "pk": _pk(job_id), "sk": RUNS, "runs": dump_runs(runs)})}}])

    def run_log(self, job_id: str) -> tuple[RunEntry, ...]:
        item = from_item(clients.dynamodb().get_item(TableName=self.table, Key=to_item({"pk": _pk(job_id), "sk": RUNS}),
                                                     ConsistentRead=True).get("Item") or {})
        return load_runs(item.get("runs"))

    def take_slot(self, user_id: str, owner: str, now_ms: int, until_ms: int, slots: int) -> int | None:
        # One item per slot: a run takes a free or expired one with a conditional put, so a run that
        # died frees its slot when its time is up, like its job's lease.
        for slot in range(slots):
            try:
                clients.dynamodb().put_item(
                    TableName=self.table, Item=to_item({"pk": _slots_pk(user_id), "sk": f"SLOT#{slot}",
                                                        "slotOwner": owner, "slotUntil": until_ms}),
                    ConditionExpression="attribute_not_exists(pk) OR slotUntil < :now OR slotOwner = :owner",
                    ExpressionAttributeValues=to_values({":now": now_ms, ":owner": owner}))
                return slot
            except ClientError as exc:
                if not is_condition_failure(exc):
                    raise
        return None

    def release_slot(self, user_id: str, slot: int, owner: str) -> None:
        try:
            clients.dynamodb().delete_item(
                TableName=self.table, Key=to_item({"pk": _slots_pk(user_id), "sk": f"SLOT#{slot}"}),
                ConditionExpression="slotOwner = :owner", ExpressionAttributeValues=to_values({":owner": owner}))
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise

    # -- progress ----------------------------------------------------------------------------

    def complete(self, job: FetchJob, done: Sequence[tuple[WorkItem, AspectRecord]], now_ms: int) -> int:
        counted = 0
        for start in range(0, len(done), TRANSACTION_CATEGORIES):
            counted += self._complete_chunk(job, list(done[start:start + TRANSACTION_CATEGORIES]), now_ms)
        return counted

    def _complete_chunk(self, job: FetchJob, chunk: list[tuple[WorkItem, AspectRecord]], now_ms: int) -> int:
        for _ in range(3):
            if not chunk:
                return 0
            assert self.aspects is not None, "storing aspects needs the aspects table"
            items: list[dict[str, Any]] = []
            for work, record in chunk:
                items += [self.aspects.put(record), self._work_delete(job.id, work)]
            items.append(self._counters(job.id, now_ms, processed=len(chunk), success=len(chunk)))
            try:
                clients.dynamodb().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
                return len(chunk)
            except ClientError as exc:
                if error_code(exc) != "TransactionCanceledException":
                    raise
                reasons = cancellation_reasons(exc)
                if reasons and reasons[-1].get("Code") == "ConditionalCheckFailed":
                    return 0  # the job is no longer active (cancelled): stop counting
                gone = {i for i, _ in enumerate(chunk)
                        if len(reasons) > 2 * i + 1 and reasons[2 * i + 1].get("Code") == "ConditionalCheckFailed"}
                if not gone:
                    raise
                # Some categories were completed by another run (a duplicate delivery): keep the rest.
                chunk = [pair for i, pair in enumerate(chunk) if i not in gone]
        return 0

    def postpone(self, job: FetchJob, item: WorkItem, due_at: int, error: str, now_ms: int) -> bool:
        later = WorkItem(category=item.category, due_at=due_at, attempts=item.attempts + 1, last_error=error[:500])
        return self._transact([self._work_delete(job.id, item),
                               {"Put": {"TableName": self.table, "Item": self._work_put(job.id, later)}}])

    def fail(self, job: FetchJob, item: WorkItem, error: str, now_ms: int) -> bool:
        failure = to_item({"pk": _pk(job.id), "sk": f"FAIL#{item.category.category_id}",
                           "categoryId": item.category.category_id,
                           "categoryName": item.category.name, "error": error[:500], "attempts": item.attempts + 1})
        return self._transact([self._work_delete(job.id, item), {"Put": {"TableName": self.table, "Item": failure}},
                               self._counters(job.id, now_ms, processed=1, failed=1)])

    def _transact(self, items: list[dict[str, Any]]) -> bool:
        try:
            clients.dynamodb().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
            return True
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                return False  # the work item was already handled, or the job stopped
            raise

    def finish(self, job: FetchJob, status: FetchStatus, now_ms: int, error: str | None = None,
               events: Sequence[JobEvent] = ()) -> bool:
        # The usual case first: a job is processing when it finishes (queued when cancelled early).
        for current in (FetchStatus.PROCESSING, FetchStatus.QUEUED):
            update: dict[str, Any] = {
                "TableName": self.table, "Key": to_item({"pk": _pk(job.id), "sk": META}),
                "UpdateExpression": "SET #status = :s, updatedAt = :now, listKey = :lk, #error = :e REMOVE activeShard",
                "ConditionExpression": "#status = :from",
                "ExpressionAttributeNames": {"#status": "status", "#error": "error"}}
            values: dict[str, Any] = {":s": status.value, ":now": now_ms, ":e": error, ":from": current.value,
                                      ":lk": _list_key(status, job.created_at)}
            if events:
                # The events' ids count this job's finishes: the write holds only if nobody finished it
                # since it was read.
                update["UpdateExpression"] = update["UpdateExpression"].replace(" REMOVE", ", finishes = :next REMOVE")
                update["ConditionExpression"] += " AND (attribute_not_exists(finishes) OR finishes = :finishes)"
                values |= {":finishes": job.finishes, ":next": job.finishes + 1}
            update["ExpressionAttributeValues"] = to_values(values)
            if self._moved(update, current, status, [self._outbox().put(event) for event in events]):
                return True
        return False

    def progress(self, job: FetchJob, event: JobEvent, now_ms: int, interval_ms: int) -> bool:
        # The stamp and the event in one write: at most one progress event per interval, whichever
        # run (or duplicate of one) gets there first.
        stamp = {"Update": {
            "TableName": self.table, "Key": to_item({"pk": _pk(job.id), "sk": META}),
            "UpdateExpression": "SET progressAt = :now",
            "ConditionExpression": "#status IN (:a0, :a1) AND (attribute_not_exists(progressAt) OR progressAt <= :due)",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_values({":now": now_ms, ":due": now_ms - interval_ms,
                                                    ":a0": ACTIVE[0], ":a1": ACTIVE[1]})}}
        return self._transact([stamp, self._outbox().put(event)])

    def _outbox(self) -> OutboxItems:
        if self.outbox is None:
            raise RuntimeError("this repository was given events but no outbox table (EVENTS_TABLE)")
        return self.outbox

    def requeue_failures(self, job: FetchJob, now_ms: int) -> int:
        failures = self.failures(job.id, 10_000)
        requeued = 0
        # The first chunk reopens the finished job (and counts it processing again); the ones after
        # it find it processing.
        reopen: list[FetchStatus] = [FetchStatus.COMPLETED, FetchStatus.FAILED]
        for start in range(0, len(failures), 45):
            chunk = failures[start:start + 45]
            items: list[dict[str, Any]] = []
            for failure in chunk:
                items.append({"Delete": {"TableName": self.table, "Key": to_item(
                    {"pk": _pk(job.id), "sk": f"FAIL#{failure.category.category_id}"}),
                    "ConditionExpression": "attribute_exists(pk)"}})
                items.append({"Put": {"TableName": self.table,
                                      "Item": self._work_put(job.id, WorkItem(category=failure.category,
                                                                              due_at=now_ms))}})

            def reopened(current: FetchStatus, chunk_items: list[dict[str, Any]] = items,
                         size: int = len(chunk)) -> list[dict[str, Any]]:
                update = {"Update": {
                    "TableName": self.table, "Key": to_item({"pk": _pk(job.id), "sk": META}),
                    "UpdateExpression": "ADD #processed :minus, #failed :minus SET #status = :p, updatedAt = :now, "
                                        "listKey = :lk, activeShard = :shard, #error = :none, resumeAt = :zero",
                    "ConditionExpression": "#status = :from",
                    "ExpressionAttributeNames": {"#status": "status", "#error": "error", "#processed": "processed",
                                                 "#failed": "failed"},
                    "ExpressionAttributeValues": to_values({
                        ":minus": -size, ":p": FetchStatus.PROCESSING.value, ":now": now_ms, ":zero": 0,
                        ":lk": _list_key(FetchStatus.PROCESSING, job.created_at), ":shard": ACTIVE_SHARD,
                        ":none": None, ":from": current.value})}}
                moved = [] if current is FetchStatus.PROCESSING else [
                    self._count(**{current.value: -1, FetchStatus.PROCESSING.value: 1})]
                return [*chunk_items, update, *moved]

            if not any(self._transact(reopened(current)) for current in reopen):
                break
            requeued += len(chunk)
            reopen = [FetchStatus.PROCESSING]
        return requeued


def _list_key(status: FetchStatus, created_at: int) -> str:
    return f"{1 if status.active else 0}#{created_at:013d}"
