using Microsoft.DurableTask;

namespace Approvals.Core.Workflow;

/// <summary>One execution of an approval workflow, whatever it guards: creates the petition, waits on the webhook or a
/// backing-off poll (whichever comes first) until a decision, a cancel or the deadline, verifies by reading the
/// petition back, enforces four eyes, and only then calls <see cref="ActAsync"/>. The password reset and time-boxed
/// access differ only there. Deterministic: time from the context, no I/O, one wait task per event, reused until it
/// completes.</summary>
internal abstract class ApprovalRun(TaskOrchestrationContext context, ApprovalInput input)
{
    readonly DateTime started = input.Continued?.StartedAt ?? context.CurrentUtcDateTime;
    int polls = input.Continued?.PollCount ?? 0;

    protected TaskOrchestrationContext Context { get; } = context;

    protected ApprovalInput Input { get; } = input;

    protected string? PetitionName { get; private set; } = input.Continued?.PetitionName;

    /// <summary>The webhook's hint; replaced by a fresh wait each time one is taken.</summary>
    protected Task<IndentDecision> Decision { get; set; } = null!;

    /// <summary>The cancel request: created once, never replaced (a cancel is final).</summary>
    protected Task<CancelRequest> Cancel { get; private set; } = null!;

    /// <summary>Runs what the verified grant allows; returns the outcome (through <see cref="Finish"/>).</summary>
    protected abstract Task<ApprovalResult> ActAsync(PetitionSnapshot granted);

    /// <summary>Reads the petition to learn whether it was decided. A run may act on a usable grant in the same activity
    /// (<paramref name="mayAct"/>: no cancel has reached the workflow), saving a round trip; then
    /// <see cref="ActedOnRead"/> is true and <see cref="ActAsync"/> reports what that activity did.</summary>
    protected virtual Task<PetitionSnapshot?> ReadForDecisionAsync(bool mayAct) => ReadAsync();

    /// <summary>True when the last <see cref="ReadForDecisionAsync"/> already ran (or tried) the action.</summary>
    protected virtual bool ActedOnRead => false;

    public async Task<ApprovalResult> ExecuteAsync()
    {
        var deadlineAt = started.AddSeconds(Input.DeadlineSeconds);
        if (PetitionName is null)
        {
            Report(ApprovalStatuses.Pending);
            try
            {
                var created = await Context.CallActivityAsync<PetitionRef>(
                    nameof(CreatePetitionActivity),
                    new CreatePetitionInput(Context.InstanceId, Input.Action, Input.UserId, Input.Reason, Input.RequestedBy, Input.Target?.DisplayName, Input.Access, Input.Access?.DurationSeconds, Actions.ActionCatalog.Find(Input.Action)?.Title),
                    ApprovalOrchestrator.IndentRetry);
                PetitionName = created.Name;
            }
            catch (TaskFailedException e)
            {
                return Finish(ApprovalStatuses.Failed, detail: "could not create the Indent petition: " + ApprovalOrchestrator.Describe(e));
            }
        }

        Decision = Context.WaitForExternalEvent<IndentDecision>(ApprovalEvents.IndentDecision, CancellationToken.None);
        Cancel = Context.WaitForExternalEvent<CancelRequest>(ApprovalEvents.Cancel, CancellationToken.None);
        var interval = TimeSpan.FromSeconds(Math.Max(1, Input.Continued?.IntervalSeconds ?? Input.PollInitialSeconds));
        var cap = TimeSpan.FromSeconds(Math.Max(Input.PollInitialSeconds, Input.PollMaxSeconds));

        // One poll timer at a time, kept across hints it does not need to move; a burst of hints (Indent's retries and
        // duplicates, or a flood of validly signed ones) reads the petition at most once per ApprovalOrchestrator.HintSpacing.
        // The deadline is the last poll's due time, not a timer of its own: every timer is a queue message on Azure
        // Storage that fires even after the workflow has finished, so one timer per wait is the cheapest there is.
        Task? poll = null;
        CancellationTokenSource? pollCancel = null;
        DateTime pollAt = default;
        DateTime? lastHintRead = null, hintReadDue = null;
        try
        {
            for (var wait = 0; wait < ApprovalOrchestrator.MaxWaitsPerExecution; wait++)
            {
                var due = Context.CurrentUtcDateTime + interval;
                if (due > deadlineAt)
                {
                    due = deadlineAt;
                }

                if (hintReadDue is { } hinted && hinted < due)
                {
                    due = hinted;
                }

                if (poll is null || due < pollAt)
                {
                    pollCancel?.Cancel();
                    pollCancel?.Dispose();
                    pollCancel = new CancellationTokenSource();
                    pollAt = due;
                    poll = Context.CreateTimer(due, pollCancel.Token);
                }

                Report(ApprovalStatuses.AwaitingApproval, nextPoll: pollAt);
                var winner = await Task.WhenAny(Decision, Cancel, poll);
                if (winner == Cancel)
                {
                    var why = Cancel.Result?.Reason;
                    Report(ApprovalStatuses.Cancelling, detail: "closing the petition"); // the cancel is taken: nothing will act
                    await CloseAsync("cancelled" + (string.IsNullOrWhiteSpace(why) ? "" : ": " + why));
                    return Finish(ApprovalStatuses.Cancelled, detail: string.IsNullOrWhiteSpace(why) ? "cancelled by request" : why);
                }

                if (winner == Decision)
                {
                    // The webhook is a hint, never proof. Listen again only now that this wait has completed.
                    Decision = Context.WaitForExternalEvent<IndentDecision>(ApprovalEvents.IndentDecision, CancellationToken.None);
                    if (lastHintRead is { } last && Context.CurrentUtcDateTime < last + ApprovalOrchestrator.HintSpacing)
                    {
                        hintReadDue ??= last + ApprovalOrchestrator.HintSpacing; // read once at the end of the spacing, whatever else arrives
                        continue;
                    }

                    lastHintRead = Context.CurrentUtcDateTime;
                }
                else if (winner == poll)
                {
                    poll = null;
                    if (hintReadDue is { } hinted2 && pollAt >= hinted2)
                    {
                        hintReadDue = null;
                        lastHintRead = Context.CurrentUtcDateTime; // a deferred hint's read, not a step of the backoff
                    }
                    else
                    {
                        polls++;
                        interval = PollSchedule.Next(interval, cap);
                    }
                }

                var snapshot = await ReadForDecisionAsync(mayAct: !Cancel.IsCompleted);
                if (snapshot is { IsForeign: true })
                {
                    return Finish(ApprovalStatuses.Failed, detail: "refused: " + snapshot.Refusal);
                }

                if (snapshot is { IsGranted: true })
                {
                    if (Cancel.IsCompleted && !ActedOnRead)
                    {
                        // A cancel that reached the workflow before the action was scheduled wins, even over a grant.
                        return await CancelledBeforeActionAsync(snapshot.DecidedBy, Cancel.Result?.Reason);
                    }

                    if (FourEyes.Refusal(Input, snapshot) is { } rule)
                    {
                        await CloseAsync(rule, revokeGrant: true);
                        return Finish(ApprovalStatuses.Denied, snapshot.ApprovedBy ?? snapshot.DecidedBy, rule);
                    }

                    pollCancel?.Cancel(); // no poll while acting (for access: while holding, for hours)
                    Report(ApprovalStatuses.Approved, decidedBy: snapshot.DecidedBy, detail: FourEyes.Describe(snapshot));
                    return await ActAsync(snapshot);
                }

                if (snapshot is { IsRefused: true })
                {
                    return Finish(ApprovalStatuses.Denied, snapshot.DecidedBy, "petition " + snapshot.Phase);
                }

                if (winner != Decision && Context.CurrentUtcDateTime >= deadlineAt) // the poll due at the deadline
                {
                    await CloseAsync("no decision before the deadline");
                    return Finish(ApprovalStatuses.Expired, detail: "no decision before the deadline");
                }
            }
        }
        finally
        {
            pollCancel?.Cancel();
            pollCancel?.Dispose();
        }

        // A long wait: start a fresh history, keeping the petition, the clock and any events not yet handled.
        Context.ContinueAsNew(Input with { Continued = new ApprovalContinuation(PetitionName!, started, polls, (int)interval.TotalSeconds) }, preserveUnprocessedEvents: true);
        return Finish(ApprovalStatuses.AwaitingApproval, detail: "continued as new");
    }

    /// <summary>True when <see cref="AttemptAsync"/> ended on a refusal the target system gave outright (a permanent
    /// failure: it changed nothing) with no attempt before it, rather than after attempts that failed for reasons that
    /// may have left a change behind.</summary>
    protected bool RefusedOutright { get; private set; }

    /// <summary>Runs <paramref name="act"/> with retries: the first attempt follows the verify read directly (one Indent
    /// read on the fast path); each retry waits, then reads the petition again and acts only if it is still granted.
    /// Null when an attempt succeeded; otherwise the finished outcome (failed, or denied when the grant went away).</summary>
    protected async Task<ApprovalResult?> AttemptAsync(string? decidedBy, string what, Func<Task> act, int firstAttempt = 1, string? lastError = null)
    {
        ArgumentNullException.ThrowIfNull(act);
        var delay = TimeSpan.FromSeconds(2);
        for (var attempt = firstAttempt; attempt <= ApprovalOrchestrator.ActionAttempts; attempt++)
        {
            if (attempt > 1)
            {
                await Context.CreateTimer(Context.CurrentUtcDateTime + delay, CancellationToken.None);
                delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
                var again = await ReadAsync();
                if (again is { IsForeign: true })
                {
                    return Finish(ApprovalStatuses.Failed, decidedBy, "refused: " + again.Refusal);
                }

                if (again is { IsRefused: true })
                {
                    return Finish(ApprovalStatuses.Denied, again.DecidedBy, $"petition {again.Phase} while the action was being retried; not acted on again");
                }

                if (again is { IsGranted: true } && FourEyes.Refusal(Input, again) is { } rule)
                {
                    await CloseAsync(rule, revokeGrant: true);
                    return Finish(ApprovalStatuses.Denied, again.ApprovedBy ?? again.DecidedBy, rule);
                }

                if (again is not { IsGranted: true })
                {
                    // Indent unreachable (or not granted): never act unverified; this attempt is spent waiting.
                    lastError = "the grant could not be verified again before retrying";
                    continue;
                }
            }

            try
            {
                await act();
                return null;
            }
            catch (TaskFailedException e) when (ApprovalOrchestrator.IsCancelledBeforeAction(e.FailureDetails))
            {
                RefusedOutright = lastError is null;
                return await CancelledBeforeActionAsync(decidedBy);
            }
            catch (TaskFailedException e) when (!ApprovalOrchestrator.IsPermanent(e.FailureDetails))
            {
                lastError = ApprovalOrchestrator.Describe(e);
            }
            catch (TaskFailedException e)
            {
                // Outright only if no earlier attempt failed in a way that may have left a change behind.
                RefusedOutright = lastError is null;
                return Finish(ApprovalStatuses.Failed, decidedBy, $"{what} failed: " + ApprovalOrchestrator.Describe(e));
            }
        }

        return Finish(ApprovalStatuses.Failed, decidedBy, $"{what} failed: " + lastError);
    }

    /// <summary>A cancel claimed the approval's fence before the action could (<see cref="ActionFence"/>): nothing was changed,
    /// the petition is closed and its grant revoked, and the approval ends cancelled — as the cancel's 202 promised.</summary>
    protected async Task<ApprovalResult> CancelledBeforeActionAsync(string? decidedBy, string? why = null)
    {
        var detail = "cancelled before the action; the grant was not used" + (string.IsNullOrWhiteSpace(why) ? "" : ": " + why);
        await CloseAsync(detail, revokeGrant: true);
        return Finish(ApprovalStatuses.Cancelled, decidedBy, detail);
    }

    /// <summary>The petition as Indent has it now; null when Indent could not be read (not a decision).</summary>
    protected async Task<PetitionSnapshot?> ReadAsync()
    {
        try
        {
            return await Context.CallActivityAsync<PetitionSnapshot>(nameof(GetPetitionActivity), ReadInput(), ApprovalOrchestrator.IndentRetry);
        }
        catch (TaskFailedException)
        {
            // Indent unreachable for longer than the retries: not a decision. Keep waiting; the next poll tries again.
            return null;
        }
    }

    /// <summary>What a read of this approval's petition asks for: the petition, and whose it must be.</summary>
    protected GetPetitionInput ReadInput() => new(PetitionName!, Context.InstanceId, Input.Action, Input.UserId, Input.ResourceId);

    protected void Report(string status, DateTime? nextPoll = null, string? decidedBy = null, string? detail = null, DateTime? activeUntil = null) =>
        Context.SetCustomStatus(new ApprovalProgressStatus
        {
            Status = status,
            Petition = PetitionName,
            ElapsedSeconds = (int)(Context.CurrentUtcDateTime - started).TotalSeconds,
            PollCount = polls,
            NextPollAt = nextPoll,
            DecidedBy = decidedBy,
            Detail = detail,
            ActiveUntil = activeUntil,
        });

    protected ApprovalResult Finish(string status, string? decidedBy = null, string? detail = null, Actions.PasswordResetOutcome? result = null, AccessOutcome? access = null, Actions.ActionOutcome? outcome = null)
    {
        Report(status, decidedBy: decidedBy, detail: detail);
        if (!Context.IsReplaying && status != ApprovalStatuses.AwaitingApproval)
        {
            // Recorded once per outcome: a replay re-runs this code but is not a new decision.
            var tag = new KeyValuePair<string, object?>("status", status);
            Telemetry.ApprovalsTelemetry.Finished.Add(1, tag);
            Telemetry.ApprovalsTelemetry.TimeToDecision.Record((Context.CurrentUtcDateTime - started).TotalSeconds, tag);
        }

        return new ApprovalResult(status, PetitionName, decidedBy, detail, polls, Context.CurrentUtcDateTime, result, access, outcome);
    }

    protected async Task CloseAsync(string reason, bool revokeGrant = false)
    {
        try
        {
            await Context.CallActivityAsync(nameof(ClosePetitionActivity), new ClosePetitionInput(Context.InstanceId, PetitionName!, reason, revokeGrant), ApprovalOrchestrator.IndentRetry);
        }
        catch (TaskFailedException)
        {
            // Best effort: the workflow has ended either way and will never act on this petition.
        }
    }
}
