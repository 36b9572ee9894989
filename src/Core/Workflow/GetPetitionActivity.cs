using Approvals.Core.Indent;
using Approvals.Core.People;
using Approvals.Core.Secrets;
using Microsoft.DurableTask;

namespace Approvals.Core.Workflow;

/// <summary>Reads a petition back from the Indent API: the only source the workflow trusts for a decision.
/// A grant's approver is resolved to directory persons here (<see cref="ApproverResolver"/>), so the orchestrator decides
/// four eyes on object ids from a recorded result; a directory that cannot be asked fails the read (retried), never
/// the rule.</summary>
public sealed class GetPetitionActivity(IndentClient indent, ISecretProvider secrets, ApproverResolver approvers) : TaskActivity<GetPetitionInput, PetitionSnapshot>
{
    public override async Task<PetitionSnapshot> RunAsync(TaskActivityContext context, GetPetitionInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var petition = await IndentCalls.StopRetryingOnRefusal(() => indent.GetPetitionAsync(input.PetitionName));
        var snapshot = Snapshot(petition);
        if (input.InstanceId is not null && input.Action is not null && input.UserId is not null)
        {
            var keys = await secrets.GetSecretListAsync(PetitionSeal.KeySetting);
            snapshot = snapshot with { Refusal = PetitionSeal.Refusal(petition, input.InstanceId, input.ResourceId ?? PetitionSeal.ResourceIdFor(input.Action, input.UserId), keys) };
        }

        return snapshot.IsGranted ? snapshot with { Approver = await approvers.ResolveAsync(ApproveEvent(petition)?.Actor) } : snapshot;
    }

    static IndentEvent? ApproveEvent(Petition petition) => petition.State?.EventHistory?.LastOrDefault(e => e.EventType == IndentEventTypes.Approve);

    /// <summary>The phase, who made the last decision (approve, deny or revoke), who approved and for how long, according
    /// to the event history (a grant event may name the system that applied it; the approve event names the person).</summary>
    public static PetitionSnapshot Snapshot(Petition petition)
    {
        ArgumentNullException.ThrowIfNull(petition);
        var decision = petition.State?.EventHistory?
            .LastOrDefault(e => e.EventType is IndentEventTypes.Approve or IndentEventTypes.Deny or IndentEventTypes.Revoke or IndentEventTypes.Grant);
        var actor = decision?.Actor;
        var approval = ApproveEvent(petition);
        int? granted = approval?.Meta?.Labels is { } labels && labels.TryGetValue(IndentLabels.Duration, out var text) && GoDuration.TryParse(text, out var span) && span > TimeSpan.Zero
            ? (int)Math.Min(int.MaxValue, Math.Ceiling(span.TotalSeconds))
            : null;
        var grant = petition.State?.EventHistory?.LastOrDefault(e => e.EventType == IndentEventTypes.Grant)?.Timestamp ?? approval?.Timestamp;
        return new PetitionSnapshot(petition.Name ?? "", petition.Phase, Name(actor), petition.Meta?.UpdateTime, ApprovedBy: Name(approval?.Actor), GrantedSeconds: granted, GrantedAt: grant);
    }

    static string? Name(Resource? actor) => actor?.Email ?? actor?.DisplayName ?? actor?.Id;
}
