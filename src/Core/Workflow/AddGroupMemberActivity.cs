using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Approvals.Core.Workflow;

/// <summary>Grants time-boxed access for instances of versions before 1.1: the requester joins the resource's group.
/// Scheduled only after the grant was read back from Indent and passed four eyes. Its steps are the 1.0 workflow's, but
/// the add now goes through the access ledger too (activity code, so replay is unchanged): the instance's grant is
/// recorded under its instance id before the add, so a 1.1 grant overlapping it sees the membership as shared (removed
/// when the later ends) rather than standing, and the reconciler ends it if the instance stops running. The 1.0 time box
/// starts after the add and its length is not in this activity's input, so the entry's not-after is the longest access
/// this deployment grants (<see cref="AccessOptions.MaxSeconds"/>) from now, plus <see cref="LegacySlack"/>; the 1.0
/// workflow ends the entry itself when its time is over (<see cref="RemoveGroupMemberActivity"/>). Idempotent: a retry
/// keeps the entry it recorded, and an add after the entry ended writes nothing.</summary>
public sealed class AddGroupMemberActivity(AccessLedger ledger, ActionFence fence, IOptions<AccessOptions> options, TimeProvider time, ILogger<AddGroupMemberActivity> logger) : TaskActivity<MembershipInput, bool>
{
    /// <summary>Beyond the longest grant: the 1.0 time box starts when the workflow sees the add done, a moment after this.</summary>
    public static readonly TimeSpan LegacySlack = TimeSpan.FromMinutes(5);

    public override async Task<bool> RunAsync(TaskActivityContext context, MembershipInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await fence.ClaimActOrThrowAsync(input.InstanceId); // a cancel that claimed the approval first: nothing is added
        var notAfter = time.GetUtcNow().AddSeconds(options.Value.MaxSeconds) + LegacySlack;
        await ledger.IntendAsync(input.InstanceId, input.GroupId, input.MemberId, notAfter);
        var outcome = await ledger.AddAsync(input.InstanceId, input.GroupId, input.MemberId);
        logger.LogInformation("Access {InstanceId} (1.0): {Member} {Outcome} in group {Group}", input.InstanceId, input.MemberId, outcome, input.GroupId);
        return outcome == GrantOutcomes.Added;
    }
}
