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
        HandleFailure = failure => !failure.IsCausedBy<PermanentActivityFailureException>(),
    });

    /// <summary>The action: a few retries; the activity is idempotent, so a retry never resets twice.</summary>
    public static readonly TaskOptions ActionRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 5,
        firstRetryInterval: TimeSpan.FromSeconds(2),
        backoffCoefficient: 2,
        maxRetryInterval: TimeSpan.FromSeconds(30))
    {
        HandleFailure = failure => !failure.IsCausedBy<PermanentActivityFailureException>(),
    });

    /// <summary>Waits per execution before continuing as new, which keeps the history of a days-long wait bounded.</summary>
    public const int MaxWaitsPerExecution = 200;

    public override async Task<ApprovalResult> RunAsync(TaskOrchestrationContext context, ApprovalInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var started = input.Continued?.StartedAt ?? context.CurrentUtcDateTime;
        var deadlineAt = started.AddSeconds(input.DeadlineSeconds);
        var polls = input.Continued?.PollCount ?? 0;
        string? petitionName = input.Continued?.PetitionName;

        ApprovalResult Finish(string status, string? decidedBy, string? detail, PasswordResetOutcome? result = null)
        {
            context.SetCustomStatus(new ApprovalProgressStatus(status, petitionName, Elapsed(context, started), polls, null, decidedBy, detail));
            return new ApprovalResult(status, petitionName, decidedBy, detail, polls, context.CurrentUtcDateTime, result);
        }

        if (petitionName is null)
        {
            context.SetCustomStatus(new ApprovalProgressStatus(ApprovalStatuses.Pending, null, 0, 0, null, null, null));
            try
            {
                var created = await context.CallActivityAsync<PetitionRef>(
                    nameof(CreatePetitionActivity), new CreatePetitionInput(context.InstanceId, input.Action, input.UserId, input.Reason), IndentRetry);
                petitionName = created.Name;
            }
            catch (TaskFailedException e)
            {
                return Finish(ApprovalStatuses.Failed, null, "could not create the Indent petition: " + Describe(e));
            }
        }

        var decision = context.WaitForExternalEvent<IndentDecision>(ApprovalEvents.IndentDecision);
        var cancel = context.WaitForExternalEvent<CancelRequest>(ApprovalEvents.Cancel);
        using var deadlineCancel = new CancellationTokenSource();
        var deadline = context.CreateTimer(deadlineAt, deadlineCancel.Token);
        var interval = TimeSpan.FromSeconds(Math.Max(1, input.Continued?.IntervalSeconds ?? input.PollInitialSeconds));
        var cap = TimeSpan.FromSeconds(Math.Max(input.PollInitialSeconds, input.PollMaxSeconds));

        for (var wait = 0; wait < MaxWaitsPerExecution; wait++)
        {
            var nextPoll = context.CurrentUtcDateTime + interval;
            if (nextPoll > deadlineAt)
            {
                nextPoll = deadlineAt;
            }

            context.SetCustomStatus(new ApprovalProgressStatus(ApprovalStatuses.AwaitingApproval, petitionName, Elapsed(context, started), polls, nextPoll, null, null));
            using var pollCancel = new CancellationTokenSource();
            var poll = context.CreateTimer(nextPoll, pollCancel.Token);
            var winner = await Task.WhenAny(decision, cancel, deadline, poll);
            if (winner != poll)
            {
                pollCancel.Cancel();
            }

            if (winner == cancel)
            {
                deadlineCancel.Cancel();
                var why = cancel.Result?.Reason;
                await CloseAsync(context, petitionName, "cancelled" + (string.IsNullOrWhiteSpace(why) ? "" : ": " + why));
                return Finish(ApprovalStatuses.Cancelled, null, string.IsNullOrWhiteSpace(why) ? "cancelled by request" : why);
            }

            if (winner == decision)
            {
                // The webhook is a hint, never proof. Listen again only now that this wait has completed.
                decision = context.WaitForExternalEvent<IndentDecision>(ApprovalEvents.IndentDecision);
            }
            else if (winner == poll)
            {
                polls++;
                interval = PollSchedule.Next(interval, cap);
            }

            var snapshot = await ReadAsync(context, petitionName);
            if (snapshot is { IsGranted: true })
            {
                if (winner != deadline)
                {
                    deadlineCancel.Cancel();
                }

                context.SetCustomStatus(new ApprovalProgressStatus(ApprovalStatuses.Approved, petitionName, Elapsed(context, started), polls, null, snapshot.DecidedBy, null));
                try
                {
                    var outcome = await context.CallActivityAsync<PasswordResetOutcome>(
                        nameof(ResetPasswordActivity), new ResetPasswordInput(context.InstanceId, input.UserId, petitionName), ActionRetry);
                    return Finish(ApprovalStatuses.Completed, snapshot.DecidedBy, "password reset", outcome);
                }
                catch (TaskFailedException e)
                {
                    return Finish(ApprovalStatuses.Failed, snapshot.DecidedBy, "the password reset failed: " + Describe(e));
                }
            }

            if (snapshot is { IsRefused: true })
            {
                deadlineCancel.Cancel();
                return Finish(ApprovalStatuses.Denied, snapshot.DecidedBy, "petition " + snapshot.Phase);
            }

            if (winner == deadline)
            {
                await CloseAsync(context, petitionName, "no decision before the deadline");
                return Finish(ApprovalStatuses.Expired, null, "no decision before the deadline");
            }
        }

        // A long wait: start a fresh history, keeping the petition, the clock and any events not yet handled.
        deadlineCancel.Cancel();
        context.ContinueAsNew(input with { Continued = new ApprovalContinuation(petitionName, started, polls, (int)interval.TotalSeconds) }, preserveUnprocessedEvents: true);
        return Finish(ApprovalStatuses.AwaitingApproval, null, "continued as new");
    }

    static async Task<PetitionSnapshot?> ReadAsync(TaskOrchestrationContext context, string petitionName)
    {
        try
        {
            return await context.CallActivityAsync<PetitionSnapshot>(nameof(GetPetitionActivity), new GetPetitionInput(petitionName), IndentRetry);
        }
        catch (TaskFailedException)
        {
            // Indent unreachable for longer than the retries: not a decision. Keep waiting; the next poll tries again.
            return null;
        }
    }

    static async Task CloseAsync(TaskOrchestrationContext context, string petitionName, string reason)
    {
        try
        {
            await context.CallActivityAsync(nameof(ClosePetitionActivity), new ClosePetitionInput(context.InstanceId, petitionName, reason), IndentRetry);
        }
        catch (TaskFailedException)
        {
            // Best effort: the workflow has ended either way and will never act on this petition.
        }
    }

    static int Elapsed(TaskOrchestrationContext context, DateTime started) => (int)(context.CurrentUtcDateTime - started).TotalSeconds;

    static string Describe(TaskFailedException e) => e.FailureDetails.ErrorMessage is { Length: > 300 } m ? m[..300] : e.FailureDetails.ErrorMessage;
}
