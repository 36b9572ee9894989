using Approvals.Core.Actions;
using Microsoft.DurableTask;

namespace Approvals.Core.Workflow;

/// <summary>Creates the petition, waits on the webhook or a backing-off poll (whichever comes first) until a decision,
/// a cancel or the deadline, verifies by reading the petition back, and resets the password only when granted.
/// Deterministic: time from the context, no I/O, one wait task per event that is reused until it completes.</summary>
public sealed class ApprovalOrchestrator : TaskOrchestrator<ApprovalInput, ApprovalResult>
{
    /// <summary>Indent calls: ride out outages of a few minutes; a permanent refusal (4xx) is not retried.</summary>
    public static readonly TaskOptions IndentRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 8,
        firstRetryInterval: TimeSpan.FromSeconds(2),
        backoffCoefficient: 2,
        maxRetryInterval: TimeSpan.FromMinutes(1))
    {
        HandleFailure = failure => !IsPermanent(failure),
    });

    /// <summary>Options for each attempt of the action. Retries are the orchestrator's own (see
    /// <see cref="ActionAttempts"/>), because each one re-reads the petition first: a grant revoked while the action was
    /// failing is not acted on.</summary>
    public static readonly TaskOptions ActionRetry = new();

    /// <summary>Attempts of the action, the first included; between them 2 s, 4 s … up to 30 s.</summary>
    public const int ActionAttempts = 5;

    /// <summary>True for a failure retrying cannot fix. Compared by type name: <c>TaskFailureDetails.IsCausedBy</c> resolves
    /// the name across every loaded assembly and throws when two define it (System.Net.Http.HttpRequestException does).</summary>
    public static bool IsPermanent(TaskFailureDetails failure) =>
        failure?.ErrorType == typeof(PermanentActivityFailureException).FullName;

    /// <summary>Waits per execution before continuing as new, which keeps the history of a days-long wait bounded.</summary>
    public const int MaxWaitsPerExecution = 200;

    public override async Task<ApprovalResult> RunAsync(TaskOrchestrationContext context, ApprovalInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        // The one exit path: whatever branch returns, timers still outstanding (the deadline) are cancelled here.
        using var outstanding = new CancellationTokenSource();
        try
        {
            return await new Run(context, input).ExecuteAsync(outstanding.Token);
        }
        finally
        {
            outstanding.Cancel();
        }
    }

    /// <summary>One execution's state: the petition, the clock and the poll count, and how to report them.</summary>
    sealed class Run(TaskOrchestrationContext context, ApprovalInput input)
    {
        readonly DateTime started = input.Continued?.StartedAt ?? context.CurrentUtcDateTime;
        int polls = input.Continued?.PollCount ?? 0;
        string? petitionName = input.Continued?.PetitionName;

        public async Task<ApprovalResult> ExecuteAsync(CancellationToken outstanding)
        {
            var deadlineAt = started.AddSeconds(input.DeadlineSeconds);
            if (petitionName is null)
            {
                Report(ApprovalStatuses.Pending);
                try
                {
                    var created = await context.CallActivityAsync<PetitionRef>(
                        nameof(CreatePetitionActivity), new CreatePetitionInput(context.InstanceId, input.Action, input.UserId, input.Reason, input.RequestedBy, input.Target?.DisplayName), IndentRetry);
                    petitionName = created.Name;
                }
                catch (TaskFailedException e)
                {
                    return Finish(ApprovalStatuses.Failed, detail: "could not create the Indent petition: " + Describe(e));
                }
            }

            var decision = context.WaitForExternalEvent<IndentDecision>(ApprovalEvents.IndentDecision, CancellationToken.None);
            var cancel = context.WaitForExternalEvent<CancelRequest>(ApprovalEvents.Cancel, CancellationToken.None);
            var deadline = context.CreateTimer(deadlineAt, outstanding);
            var interval = TimeSpan.FromSeconds(Math.Max(1, input.Continued?.IntervalSeconds ?? input.PollInitialSeconds));
            var cap = TimeSpan.FromSeconds(Math.Max(input.PollInitialSeconds, input.PollMaxSeconds));

            for (var wait = 0; wait < MaxWaitsPerExecution; wait++)
            {
                var nextPoll = context.CurrentUtcDateTime + interval;
                if (nextPoll > deadlineAt)
                {
                    nextPoll = deadlineAt;
                }

                Report(ApprovalStatuses.AwaitingApproval, nextPoll: nextPoll);
                using var pollCancel = new CancellationTokenSource();
                var poll = context.CreateTimer(nextPoll, pollCancel.Token);
                var winner = await Task.WhenAny(decision, cancel, deadline, poll);
                if (winner != poll)
                {
                    pollCancel.Cancel();
                }

                if (winner == cancel)
                {
                    var why = cancel.Result?.Reason;
                    await CloseAsync("cancelled" + (string.IsNullOrWhiteSpace(why) ? "" : ": " + why));
                    return Finish(ApprovalStatuses.Cancelled, detail: string.IsNullOrWhiteSpace(why) ? "cancelled by request" : why);
                }

                if (winner == decision)
                {
                    // The webhook is a hint, never proof. Listen again only now that this wait has completed.
                    decision = context.WaitForExternalEvent<IndentDecision>(ApprovalEvents.IndentDecision, CancellationToken.None);
                }
                else if (winner == poll)
                {
                    polls++;
                    interval = PollSchedule.Next(interval, cap);
                }

                var snapshot = await ReadAsync();
                if (snapshot is { IsForeign: true })
                {
                    return Finish(ApprovalStatuses.Failed, detail: "refused: " + snapshot.Refusal);
                }

                if (snapshot is { IsGranted: true })
                {
                    if (cancel.IsCompleted)
                    {
                        // A cancel that reached the workflow before the action was scheduled wins, even over a grant.
                        var why = cancel.Result?.Reason;
                        return Finish(ApprovalStatuses.Cancelled, snapshot.DecidedBy, "cancelled before the action; the grant was not used" + (string.IsNullOrWhiteSpace(why) ? "" : ": " + why));
                    }

                    if (FourEyes.Refusal(input, snapshot) is { } rule)
                    {
                        await CloseAsync(rule, revokeGrant: true);
                        return Finish(ApprovalStatuses.Denied, snapshot.ApprovedBy ?? snapshot.DecidedBy, rule);
                    }

                    Report(ApprovalStatuses.Approved, decidedBy: snapshot.DecidedBy);
                    return await ActAsync(snapshot.DecidedBy);
                }

                if (snapshot is { IsRefused: true })
                {
                    return Finish(ApprovalStatuses.Denied, snapshot.DecidedBy, "petition " + snapshot.Phase);
                }

                if (winner == deadline)
                {
                    await CloseAsync("no decision before the deadline");
                    return Finish(ApprovalStatuses.Expired, detail: "no decision before the deadline");
                }
            }

            // A long wait: start a fresh history, keeping the petition, the clock and any events not yet handled.
            context.ContinueAsNew(input with { Continued = new ApprovalContinuation(petitionName, started, polls, (int)interval.TotalSeconds) }, preserveUnprocessedEvents: true);
            return Finish(ApprovalStatuses.AwaitingApproval, detail: "continued as new");
        }

        /// <summary>The action, with its retries. The first attempt follows the verify read directly (one Indent read on
        /// the fast path); each retry waits, then reads the petition again and acts only if it is still granted.</summary>
        async Task<ApprovalResult> ActAsync(string? decidedBy)
        {
            var delay = TimeSpan.FromSeconds(2);
            string? lastError = null;
            for (var attempt = 1; attempt <= ActionAttempts; attempt++)
            {
                if (attempt > 1)
                {
                    await context.CreateTimer(context.CurrentUtcDateTime + delay, CancellationToken.None);
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

                    if (again is { IsGranted: true } && FourEyes.Refusal(input, again) is { } rule)
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
                    var outcome = await context.CallActivityAsync<PasswordResetOutcome>(
                        nameof(ResetPasswordActivity), new ResetPasswordInput(context.InstanceId, input.UserId, petitionName!), ActionRetry);
                    return Finish(ApprovalStatuses.Completed, decidedBy, "password reset", outcome);
                }
                catch (TaskFailedException e) when (!IsPermanent(e.FailureDetails))
                {
                    lastError = Describe(e);
                }
                catch (TaskFailedException e)
                {
                    return Finish(ApprovalStatuses.Failed, decidedBy, "the password reset failed: " + Describe(e));
                }
            }

            return Finish(ApprovalStatuses.Failed, decidedBy, "the password reset failed: " + lastError);
        }

        async Task<PetitionSnapshot?> ReadAsync()
        {
            try
            {
                return await context.CallActivityAsync<PetitionSnapshot>(
                    nameof(GetPetitionActivity), new GetPetitionInput(petitionName!, context.InstanceId, input.Action, input.UserId), IndentRetry);
            }
            catch (TaskFailedException)
            {
                // Indent unreachable for longer than the retries: not a decision. Keep waiting; the next poll tries again.
                return null;
            }
        }

        void Report(string status, DateTime? nextPoll = null, string? decidedBy = null, string? detail = null) =>
            context.SetCustomStatus(new ApprovalProgressStatus
            {
                Status = status,
                Petition = petitionName,
                ElapsedSeconds = (int)(context.CurrentUtcDateTime - started).TotalSeconds,
                PollCount = polls,
                NextPollAt = nextPoll,
                DecidedBy = decidedBy,
                Detail = detail,
            });

        ApprovalResult Finish(string status, string? decidedBy = null, string? detail = null, PasswordResetOutcome? result = null)
        {
            Report(status, decidedBy: decidedBy, detail: detail);
            if (!context.IsReplaying && status != ApprovalStatuses.AwaitingApproval)
            {
                // Recorded once per outcome: a replay re-runs this code but is not a new decision.
                var tag = new KeyValuePair<string, object?>("status", status);
                Telemetry.ApprovalsTelemetry.Finished.Add(1, tag);
                Telemetry.ApprovalsTelemetry.TimeToDecision.Record((context.CurrentUtcDateTime - started).TotalSeconds, tag);
            }

            return new ApprovalResult(status, petitionName, decidedBy, detail, polls, context.CurrentUtcDateTime, result);
        }

        async Task CloseAsync(string reason, bool revokeGrant = false)
        {
            try
            {
                await context.CallActivityAsync(nameof(ClosePetitionActivity), new ClosePetitionInput(context.InstanceId, petitionName!, reason, revokeGrant), IndentRetry);
            }
            catch (TaskFailedException)
            {
                // Best effort: the workflow has ended either way and will never act on this petition.
            }
        }
    }

    static string Describe(TaskFailedException e) => e.FailureDetails.ErrorMessage is { Length: > 300 } m ? m[..300] : e.FailureDetails.ErrorMessage;
}
