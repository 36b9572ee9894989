using Microsoft.DurableTask;

namespace Approvals.Core.Workflow;

/// <summary>What every time-boxed run shares — the generic one (<see cref="TimeBoxedRun"/>) and each version of
/// <see cref="AccessOrchestrator"/>: holding while the grant is active, and undoing in rounds. The durable steps are the
/// ones <see cref="AccessOrchestrator"/> has always taken (its recorded histories replay against this code).</summary>
internal abstract class HoldingRun(TaskOrchestrationContext context, ApprovalInput input) : ApprovalRun(context, input)
{
    /// <summary>Waits while the grant is active (status <c>active</c>, <paramref name="holding"/> until <paramref name="until"/>);
    /// returns why it ended: the time box, a cancel, or Indent revoking the grant. As while waiting for the decision, a
    /// burst of webhook hints reads the petition once per <see cref="ApprovalOrchestrator.HintSpacing"/>, and one poll
    /// timer is kept.</summary>
    protected async Task<string> HoldAsync(DateTime until, string? decidedBy, TimeSpan interval, string holding)
    {
        using var endCancel = new CancellationTokenSource();
        var end = Context.CreateTimer(until, endCancel.Token);
        Task? poll = null;
        CancellationTokenSource? pollCancel = null;
        DateTime pollAt = default;
        DateTime? lastRead = null, readDue = null;
        try
        {
            while (true)
            {
                var due = Context.CurrentUtcDateTime + interval;
                if (readDue is { } deferred && deferred < due)
                {
                    due = deferred;
                }

                if (due < until && (poll is null || due < pollAt))
                {
                    pollCancel?.Cancel();
                    pollCancel?.Dispose();
                    pollCancel = new CancellationTokenSource();
                    pollAt = due;
                    poll = Context.CreateTimer(due, pollCancel.Token);
                }

                Report(ApprovalStatuses.Active, poll is null ? null : pollAt, decidedBy, $"{holding} until {until:u}", until);
                var winner = poll is null ? await Task.WhenAny(end, Cancel, Decision) : await Task.WhenAny(end, Cancel, Decision, poll);
                if (winner == end)
                {
                    return "the granted time is over";
                }

                if (winner == Cancel)
                {
                    endCancel.Cancel();
                    var request = Cancel.Result;
                    return "ended early" + (request?.By is { } by ? " by " + by : "") + (string.IsNullOrWhiteSpace(request?.Reason) ? "" : ": " + request.Reason);
                }

                if (winner == Decision)
                {
                    Decision = Context.WaitForExternalEvent<IndentDecision>(ApprovalEvents.IndentDecision, CancellationToken.None);
                    if (lastRead is { } last && Context.CurrentUtcDateTime < last + ApprovalOrchestrator.HintSpacing)
                    {
                        readDue ??= last + ApprovalOrchestrator.HintSpacing;
                        continue;
                    }
                }
                else
                {
                    poll = null;
                    readDue = null;
                }

                lastRead = Context.CurrentUtcDateTime;
                var now = await ReadAsync();
                if (now is { IsForeign: true } or { IsRefused: true })
                {
                    endCancel.Cancel();
                    return now.IsForeign ? "refused: " + now.Refusal : $"the grant was {now.Phase} in Indent";
                }
            }
        }
        finally
        {
            pollCancel?.Cancel();
            pollCancel?.Dispose();
        }
    }

    /// <summary>True when <paramref name="ended"/> (from <see cref="HoldAsync"/>) says Indent itself ended the grant (or the
    /// petition turned out not to be ours): then there is nothing to revoke in Indent.</summary>
    protected static bool EndedInIndent(string ended) =>
        ended.StartsWith("the grant was ", StringComparison.Ordinal) || ended.StartsWith("refused", StringComparison.Ordinal);

    /// <summary>Undoes with <paramref name="undo"/>, retrying for about an hour and a half (<see cref="AccessOrchestrator.RemoveRounds"/>
    /// rounds, 5 minutes apart); null when done, else the failed outcome, its detail from <paramref name="stuck"/> (given
    /// the last error).</summary>
    protected async Task<ApprovalResult?> RemoveAsync(Func<Task> undo, Func<string?, string> stuck)
    {
        ArgumentNullException.ThrowIfNull(undo);
        ArgumentNullException.ThrowIfNull(stuck);
        string? lastError = null;
        for (var round = 0; round < AccessOrchestrator.RemoveRounds; round++)
        {
            if (round > 0)
            {
                Report(ApprovalStatuses.Active, detail: "removing the membership again after: " + lastError);
                await Context.CreateTimer(Context.CurrentUtcDateTime.AddMinutes(5), CancellationToken.None);
            }

            try
            {
                await undo();
                return null;
            }
            catch (TaskFailedException e)
            {
                lastError = ApprovalOrchestrator.Describe(e);
                if (ApprovalOrchestrator.IsPermanent(e.FailureDetails))
                {
                    break;
                }
            }
        }

        return Finish(ApprovalStatuses.Failed, detail: stuck(lastError));
    }
}
