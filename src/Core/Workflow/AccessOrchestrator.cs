using Microsoft.DurableTask;

namespace Approvals.Core.Workflow;

/// <summary>Time-boxed access: the same petition, wait, verify and four eyes as the password reset (<see cref="ApprovalRun"/>),
/// then the requester joins the resource's group until the first of: the durable timer at the end of the granted time
/// (the approver's duration wins when shorter than the one asked for), Indent revoking the grant (a webhook hint or a
/// poll, verified by reading the petition back), or a cancel from the requester or an admin. Then the membership is
/// removed, retried until it is: it never outlives the grant, whatever restarts in between (the timer is durable).</summary>
public sealed class AccessOrchestrator : TaskOrchestrator<ApprovalInput, ApprovalResult>
{
    /// <summary>Polls of the petition while access is active, at most: enough to notice a revoke whose webhook was lost,
    /// few enough to stay in one history.</summary>
    public const int MaxActivePolls = 150;

    /// <summary>Membership changes: ride out a directory outage of minutes.</summary>
    public static readonly TaskOptions MembershipRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 6,
        firstRetryInterval: TimeSpan.FromSeconds(2),
        backoffCoefficient: 2,
        maxRetryInterval: TimeSpan.FromMinutes(1))
    {
        HandleFailure = failure => !ApprovalOrchestrator.IsPermanent(failure),
    });

    /// <summary>Rounds of <see cref="MembershipRetry"/> before a removal is reported failed (about an hour and a half).</summary>
    public const int RemoveRounds = 12;

    public override async Task<ApprovalResult> RunAsync(TaskOrchestrationContext context, ApprovalInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        WorkflowVersions.Require(context);
        if (input.Access is null || input.RequestedBy is null)
        {
            throw new ArgumentException("An access request names the resource, its group and the requester.", nameof(input));
        }

        return await new AccessRun(context, input).ExecuteAsync();
    }

    sealed class AccessRun(TaskOrchestrationContext context, ApprovalInput input) : ApprovalRun(context, input)
    {
        AccessRequest Access => Input.Access!;

        protected override async Task<ApprovalResult> ActAsync(PetitionSnapshot granted)
        {
            var membership = new MembershipInput(Context.InstanceId, Access.GroupId, Input.RequestedBy!.Id);
            var failed = await AttemptAsync(granted.DecidedBy, "granting access", () => Context.CallActivityAsync<bool>(nameof(AddGroupMemberActivity), membership, MembershipRetry));
            if (failed is not null)
            {
                // Refused outright (Graph said no: a group it will not change, a permission the app lacks): nothing was
                // added, so nothing is taken back. Otherwise the add may have landed before it failed: take it back.
                return RefusedOutright ? failed : await RemoveAsync(membership) ?? failed;
            }

            var grantedAt = Context.CurrentUtcDateTime;
            var seconds = Math.Min(Access.DurationSeconds, granted.GrantedSeconds ?? int.MaxValue);
            var until = grantedAt.AddSeconds(seconds);
            var ended = await HoldAsync(until, granted.DecidedBy);
            var outcome = new AccessOutcome(Access.ResourceId, Access.ResourceName, Access.GroupId, membership.MemberId, grantedAt, until, Context.CurrentUtcDateTime, ended);
            if (await RemoveAsync(membership) is { } stuck)
            {
                return stuck with { Access = outcome };
            }

            return Finish(ApprovalStatuses.Completed, granted.DecidedBy, "access ended: " + ended, access: outcome with { EndedAt = Context.CurrentUtcDateTime });
        }

        /// <summary>Waits while access is active; returns why it ended. As while waiting for the decision, a burst of webhook
        /// hints reads the petition once per <see cref="ApprovalOrchestrator.HintSpacing"/>, and one poll timer is kept.</summary>
        async Task<string> HoldAsync(DateTime until, string? decidedBy)
        {
            using var endCancel = new CancellationTokenSource();
            var end = Context.CreateTimer(until, endCancel.Token);
            var interval = TimeSpan.FromSeconds(Math.Max(Input.PollMaxSeconds, Math.Ceiling((until - Context.CurrentUtcDateTime).TotalSeconds / MaxActivePolls)));
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

                    Report(ApprovalStatuses.Active, poll is null ? null : pollAt, decidedBy, $"access to {Access.ResourceName} until {until:u}", until);
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

        /// <summary>Removes the membership, retrying for about an hour and a half; null when done, else the failed outcome.</summary>
        async Task<ApprovalResult?> RemoveAsync(MembershipInput membership)
        {
            string? lastError = null;
            for (var round = 0; round < RemoveRounds; round++)
            {
                if (round > 0)
                {
                    Report(ApprovalStatuses.Active, detail: "removing the membership again after: " + lastError);
                    await Context.CreateTimer(Context.CurrentUtcDateTime.AddMinutes(5), CancellationToken.None);
                }

                try
                {
                    await Context.CallActivityAsync<bool>(nameof(RemoveGroupMemberActivity), membership, MembershipRetry);
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

            return Finish(ApprovalStatuses.Failed, detail: $"the membership of {membership.MemberId} in group {membership.GroupId} could not be removed ({lastError}); remove it by hand");
        }
    }
}
