using Microsoft.DurableTask;

namespace Approvals.Core.Workflow;

/// <summary>Time-boxed access: the same petition, wait, verify and four eyes as the password reset (<see cref="ApprovalRun"/>),
/// then the requester joins the resource's group until the first of: the end of the time box, Indent revoking the grant
/// (a webhook hint or a poll, verified by reading the petition back), or a cancel from the requester or an admin.
/// From version 1.1 the time box is Indent's — its grant time plus the approved duration (the approver's when shorter
/// than the one asked for) — and every membership goes through the access ledger (<see cref="AccessLedger"/>): recorded
/// before the add, added only while the grant is live, removed only when no live grant needs it and only if ours, and
/// the grant revoked in Indent when access ends by its time or a cancel. Instances of earlier versions keep their steps.</summary>
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

    /// <summary>The version whose time box is Indent's and whose memberships go through the ledger.</summary>
    public const string LedgerVersion = "1.1";

    /// <summary>How often (version 1.1 on) the petition is read while access of <paramref name="grantSeconds"/> is active:
    /// a tenth of the grant, at least the first poll interval, at most the poll cap — so a revoke whose webhook was lost is
    /// noticed within <c>min(cap, time left)</c> however short the grant — but never more than <see cref="MaxActivePolls"/>
    /// reads per grant (which only a cap below grant/150 reaches: 8 hours with a cap under 192 s).</summary>
    public static TimeSpan HoldPollInterval(double grantSeconds, int pollInitialSeconds, int pollMaxSeconds)
    {
        var seconds = Math.Min(Math.Max(1, pollMaxSeconds), Math.Max(Math.Max(1, pollInitialSeconds), Math.Ceiling(grantSeconds / 10)));
        return TimeSpan.FromSeconds(Math.Max(seconds, Math.Ceiling(grantSeconds / MaxActivePolls)));
    }

    public override async Task<ApprovalResult> RunAsync(TaskOrchestrationContext context, ApprovalInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        WorkflowVersions.Require(context);
        if (input.Access is null || input.RequestedBy is null)
        {
            throw new ArgumentException("An access request names the resource, its group and the requester.", nameof(input));
        }

        return WorkflowVersions.IsAtLeast(context, LedgerVersion)
            ? await new LedgerAccessRun(context, input).ExecuteAsync()
            : await new FirstAccessRun(context, input).ExecuteAsync();
    }

    /// <summary>What every version's access run shares: holding while access is active, and removing in rounds
    /// (<see cref="HoldingRun"/>, shared with the generic time-boxed run).</summary>
    abstract class AccessRun(TaskOrchestrationContext context, ApprovalInput input) : HoldingRun(context, input)
    {
        protected AccessRequest Access => Input.Access!;

        protected Task<string> HoldAsync(DateTime until, string? decidedBy, TimeSpan interval) =>
            HoldAsync(until, decidedBy, interval, $"access to {Access.ResourceName}");

        protected Task<ApprovalResult?> RemoveAsync(Func<Task> remove, string memberId) =>
            RemoveAsync(remove, lastError => $"the membership of {memberId} in group {Access.GroupId} could not be removed ({lastError}); remove it by hand");
    }

    /// <summary>Versions before 1.1 (and unversioned instances), step for step as they were recorded: the time box from
    /// the add, the add retried by its activity policy, the removal unconditional.</summary>
    sealed class FirstAccessRun(TaskOrchestrationContext context, ApprovalInput input) : AccessRun(context, input)
    {
        protected override async Task<ApprovalResult> ActAsync(PetitionSnapshot granted)
        {
            var membership = new MembershipInput(Context.InstanceId, Access.GroupId, Input.RequestedBy!.Id);
            Task Remove() => Context.CallActivityAsync<bool>(nameof(RemoveGroupMemberActivity), membership, MembershipRetry);
            var failed = await AttemptAsync(granted.DecidedBy, "granting access", () => Context.CallActivityAsync<bool>(nameof(AddGroupMemberActivity), membership, MembershipRetry));
            if (failed is not null)
            {
                // Refused outright (Graph said no: a group it will not change, a permission the app lacks), or a cancel
                // claimed the approval first: nothing was added, so nothing is taken back. Otherwise the add may have
                // landed before it failed: take it back. Unversioned instances (6f7c4c4 and earlier) recorded the removal
                // after any failed add, and a deploy replays them as recorded; the cancel's fence came later, so no such
                // history holds a cancel and none is taken back there. Version 1.0 takes the steps of its last build
                // (80698a3 to cde10c2^, which skipped the removal); only its first build, da2fe5a, removed after a refusal.
                var nothingAdded = RefusedOutright && (failed.Status == ApprovalStatuses.Cancelled || WorkflowVersions.IsAtLeast(Context, WorkflowVersions.First));
                return nothingAdded ? failed : await RemoveAsync(Remove, membership.MemberId) ?? failed;
            }

            var grantedAt = Context.CurrentUtcDateTime;
            var seconds = Math.Min(Access.DurationSeconds, granted.GrantedSeconds ?? int.MaxValue);
            var until = grantedAt.AddSeconds(seconds);
            var interval = TimeSpan.FromSeconds(Math.Max(Input.PollMaxSeconds, Math.Ceiling((until - Context.CurrentUtcDateTime).TotalSeconds / MaxActivePolls)));
            var ended = await HoldAsync(until, granted.DecidedBy, interval);
            var outcome = new AccessOutcome(Access.ResourceId, Access.ResourceName, Access.GroupId, membership.MemberId, grantedAt, until, Context.CurrentUtcDateTime, ended);
            if (await RemoveAsync(Remove, membership.MemberId) is { } stuck)
            {
                return stuck with { Access = outcome };
            }

            return Finish(ApprovalStatuses.Completed, granted.DecidedBy, "access ended: " + ended, access: outcome with { EndedAt = Context.CurrentUtcDateTime });
        }
    }

    /// <summary>Version 1.1: the time box is Indent's; the grant is recorded in the ledger before the add; the add (no
    /// activity retries: each retry of the workflow's own reads the petition first) writes only while the grant is live;
    /// the end goes through the ledger; Indent's grant is revoked when the access ends by its time or a cancel.</summary>
    sealed class LedgerAccessRun(TaskOrchestrationContext context, ApprovalInput input) : AccessRun(context, input)
    {
        protected override async Task<ApprovalResult> ActAsync(PetitionSnapshot granted)
        {
            var grantedAt = granted.GrantedAt?.UtcDateTime ?? Context.CurrentUtcDateTime;
            var seconds = Math.Min(Access.DurationSeconds, granted.GrantedSeconds ?? int.MaxValue);
            var until = grantedAt.AddSeconds(seconds);
            var grant = new AccessGrantInput(Context.InstanceId, Access.GroupId, Input.RequestedBy!.Id, new DateTimeOffset(until, TimeSpan.Zero));
            AccessOutcome Outcome(string ended) => new(Access.ResourceId, Access.ResourceName, Access.GroupId, grant.MemberId, grantedAt, until, Context.CurrentUtcDateTime, ended);
            Task End() => Context.CallActivityAsync<bool>(nameof(EndAccessActivity), grant, MembershipRetry);

            try
            {
                await Context.CallActivityAsync<bool>(nameof(RecordAccessGrantActivity), grant, MembershipRetry);
            }
            catch (TaskFailedException e) when (ApprovalOrchestrator.IsCancelledBeforeAction(e.FailureDetails))
            {
                return await CancelledBeforeActionAsync(granted.DecidedBy); // a cancel claimed the approval first: nothing recorded
            }
            catch (TaskFailedException e)
            {
                await CloseAsync("the grant could not be recorded; access was not given", revokeGrant: true);
                return Finish(ApprovalStatuses.Failed, granted.DecidedBy, "granting access failed: the grant could not be recorded in the access ledger (" + ApprovalOrchestrator.Describe(e) + "); nothing was added");
            }

            var added = GrantOutcomes.NotLive;
            var failed = await AttemptAsync(granted.DecidedBy, "granting access", async () => added = await Context.CallActivityAsync<string>(nameof(GrantAccessActivity), grant));
            if (failed is not null)
            {
                // Whatever an attempt may have left behind, the ledger decides what to take back (nothing, if it was not ours).
                var stuck = await RemoveAsync(End, grant.MemberId);
                if (failed.Status == ApprovalStatuses.Failed)
                {
                    await CloseAsync("access could not be given", revokeGrant: true);
                }

                return stuck ?? failed;
            }

            var ended = added == GrantOutcomes.NotLive
                ? "the granted time was over before the membership could be added"
                : await HoldAsync(until, granted.DecidedBy, HoldPollInterval((until - grantedAt).TotalSeconds, Input.PollInitialSeconds, Input.PollMaxSeconds));
            if (await RemoveAsync(End, grant.MemberId) is { } failedEnd)
            {
                return failedEnd with { Access = Outcome(ended) };
            }

            if (!EndedInIndent(ended))
            {
                // Indent's audit shows the end too: the grant is revoked there (a no-op if Indent already ended it).
                await CloseAsync("access ended: " + ended, revokeGrant: true);
            }

            return Finish(ApprovalStatuses.Completed, granted.DecidedBy, "access ended: " + ended, access: Outcome(ended));
        }
    }
}
