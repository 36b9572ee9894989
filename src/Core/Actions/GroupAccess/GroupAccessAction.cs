using Approvals.Core.Workflow;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Approvals.Core.Actions.GroupAccess;

/// <summary>Time-boxed access to a requestable Indent resource: the requester (the action's target is the requester)
/// joins the Entra group the resource maps to (<see cref="AccessOptions.Groups"/>) for the approved time. Every
/// membership goes through the access ledger (<see cref="AccessLedger"/>): recorded before the add, added only while the
/// grant is live, removed only when no live grant needs it and only if ours; the reconciler
/// (<see cref="AccessReconciler"/>) ends what a workflow that stopped could not. Started by <c>POST /api/access-requests</c>
/// and <c>approvals-local access request</c>, which resolve the resource first (Indent's requestable resources that
/// have a group here) and pin its group in <see cref="GroupParameter"/>.</summary>
public sealed class GroupAccessAction(AccessLedger ledger, IGroupMembership groups, IOptions<AccessOptions> options, ILogger<GroupAccessAction> logger) : ITimeBoxedAction, IDescribedAction
{
    public const string ResourceField = "resource", DurationField = "durationSeconds";

    /// <summary>What the starter resolved, never body fields (the generic start route refuses fields an action does not
    /// declare): the group the resource mapped to when the request started — so a later change of the mapping cannot
    /// move a grant to another group halfway — and the resource's display name.</summary>
    public const string GroupParameter = "group", ResourceNameParameter = "resourceName";

    public const int MaxResourceLength = 200;

    public static ActionDescription Descriptor { get; } = new(
        Name: WorkflowLabels.AccessAction,
        Verb: "access",
        Title: "Access",
        Summary: "Time-boxed membership of the group a requestable resource maps to, for the requester.",
        Fields:
        [
            new ActionField(ResourceField, "resource", "a requestable resource's id or display name (GET /api/resources lists them)", IsNumber: false, Required: true),
            new ActionField(DurationField, "duration", "seconds the access lasts once granted (default: the deployment's)"),
        ],
        Secret: null,
        Implementation: typeof(GroupAccessAction),
        TargetIsRequester: true,
        DurationField: DurationField);

    public void Validate(ActionParameters parameters, IDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(errors);
        var resource = parameters.Values.GetValueOrDefault(ResourceField)?.Trim();
        if (string.IsNullOrEmpty(resource))
        {
            errors[ResourceField] = ["resource is required: a requestable resource's id or display name (GET /api/resources lists them)."];
        }
        else if (resource.Length > MaxResourceLength || !Http.ApprovalsApi.IsPlainText(resource))
        {
            errors[ResourceField] = [$"resource must be one line of at most {MaxResourceLength} characters."];
        }

        var access = options.Value;
        if (parameters.Number(DurationField) is { } duration && (duration < access.MinSeconds || duration > access.MaxSeconds))
        {
            errors[DurationField] = [$"durationSeconds must be from {access.MinSeconds} to {access.MaxSeconds}."];
        }
    }

    /// <summary>409 when the requester already is a member of the group (access they hold is not ours to grant, nor to
    /// take away at the end), 403 when Graph does not know them, 503 when the directory cannot say; null otherwise.</summary>
    public async Task<ActionRefusal?> CheckTargetAsync(DirectoryUser target, ActionParameters parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(parameters);
        var groupId = GroupOf(parameters);
        var shown = target.Mail ?? target.UserPrincipalName ?? target.Id;
        try
        {
            return await groups.IsMemberAsync(groupId, target.Id, cancellationToken)
                ? new ActionRefusal(409, "Already a member", $"{shown} is already a member of group {groupId} ({parameters.Values.GetValueOrDefault(ResourceNameParameter) ?? parameters.Values.GetValueOrDefault(ResourceField)}): there is nothing to grant, and a time-boxed grant would end by removing access it did not give. Nothing was started.")
                : null;
        }
        catch (PermanentActivityFailureException e) when (e.InnerException is GraphRefusedException { StatusCode: System.Net.HttpStatusCode.NotFound } missing
            && missing.GraphMessage?.Contains($"'{target.Id}'", StringComparison.OrdinalIgnoreCase) == true)
        {
            // Graph names the object it cannot find: the requester — not a person of this directory. (A missing group
            // falls through to the 503 below, with Graph's reason naming it.)
            return new ActionRefusal(403, "Not a directory person", $"{shown} (object id {target.Id}) is not a user of this directory, so no membership can be granted to them; nothing was started.");
        }
        catch (Exception e) when (e is HttpRequestException or PermanentActivityFailureException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Membership of {Requester} in {Group} could not be checked: {Error}", target.Id, groupId, e.Message);
            return new ActionRefusal(503, "Directory unavailable", $"Whether you already are a member of group {groupId} could not be checked just now ({ApprovalOrchestrator.Shorten(e.Message)}); nothing was started. Try again shortly.");
        }
    }

    /// <summary>The grant in the ledger (person, group, approval, not-after) before any add.</summary>
    public async Task RecordAsync(ActionRun run, DateTimeOffset notAfter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        await ledger.IntendAsync(run.InstanceId, GroupOf(run.Parameters), run.UserId, notAfter, cancellationToken);
    }

    /// <summary>The guarded add (<see cref="AccessLedger.AddAsync"/>): writes only while the grant is live, so a replayed
    /// or redelivered add after the grant ended writes nothing (<see cref="ActionOutcome.NotLive"/>).</summary>
    public async Task<ActionOutcome> ActAsync(ActionRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var groupId = GroupOf(run.Parameters);
        var outcome = await ledger.AddAsync(run.InstanceId, groupId, run.UserId, cancellationToken);
        return new ActionOutcome($"{run.UserId} {outcome} in group {groupId}", NotLive: outcome == GrantOutcomes.NotLive);
    }

    /// <summary>Ends the grant in the ledger; the membership goes unless another live grant needs it or it was never ours
    /// (<see cref="AccessLedger.EndAsync"/>).</summary>
    public Task<bool> UndoAsync(ActionRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        return ledger.EndAsync(run.InstanceId, GroupOf(run.Parameters), run.UserId, cancellationToken);
    }

    /// <summary>The pinned group, else the one the resource maps to now.</summary>
    string GroupOf(ActionParameters parameters) =>
        parameters.Values.GetValueOrDefault(GroupParameter)
        ?? (parameters.Values.GetValueOrDefault(ResourceField) is { } resource && options.Value.Groups.TryGetValue(resource, out var group)
            ? group
            : throw new PermanentActivityFailureException($"Resource '{parameters.Values.GetValueOrDefault(ResourceField)}' maps to no group here ({AccessOptions.GroupsSetting})."));
}
