using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Microsoft.DurableTask;

namespace Approvals.Core.Step;

/// <summary>The approval step's names and the pure functions around it: the input a caller's orchestrator builds
/// (deterministically), the step's instance id, and the outcome it returns.</summary>
public static class ApprovalStep
{
    /// <summary>The action name on the step's petitions (label <c>approvals.dev/action</c>) and its instance ids.</summary>
    public const string Action = "approval-step";

    /// <summary>The shortest and longest deadline a request may give.</summary>
    public static readonly TimeSpan MinDeadline = TimeSpan.FromSeconds(WorkflowOptions.MinDeadlineSeconds), MaxDeadline = TimeSpan.FromDays(31);

    /// <summary>A new instance id for the step, from the calling orchestration's deterministic <c>NewGuid</c>:
    /// <c>approval-step-{16 hex}-{16 hex}</c>, the shape the webhook route accepts when it looks an instance up from a
    /// petition's label (<see cref="ApprovalIds.IsValid"/>). Durable Task's default sub-orchestration id (a bare GUID) is
    /// not one, so a step started under it would be woken by its poll only.</summary>
    public static string NewInstanceId(TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var guid = context.NewGuid().ToString("N");
        return $"{Action}-{guid[..16]}-{guid[16..]}";
    }

    /// <summary>The step's input for <paramref name="request"/>, asked for now (the orchestration's clock). Throws
    /// <see cref="ArgumentException"/> naming the field for a request the step cannot run.</summary>
    public static ApprovalInput CreateInput(TaskOrchestrationContext context, ApprovalRequest request)
    {
        ArgumentNullException.ThrowIfNull(context);
        Validate(request);
        var resource = request.Resource;
        var seconds = request.Duration is { } duration ? (int)Math.Ceiling(duration.TotalSeconds) : 0;
        return new ApprovalInput(
            Action,
            request.Requester.Id,
            request.Reason,
            (int)Math.Ceiling(request.Deadline.TotalSeconds),
            (int)Math.Ceiling(request.PollInitial.TotalSeconds),
            (int)Math.Ceiling(request.PollMax.TotalSeconds),
            RequestHash: "",
            RequestedAt: new DateTimeOffset(context.CurrentUtcDateTime, TimeSpan.Zero),
            RequestedBy: request.Requester,
            // The resource asked for travels where time-boxed access carries it (the petition names it and the seal checks
            // it); the step joins no group, so it has none. A duration of 0 asks for none.
            Access: new AccessRequest(resource.Id, resource.Kind, resource.DisplayName ?? resource.Id, GroupId: "", DurationSeconds: seconds));
    }

    static void Validate(ApprovalRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Require(!string.IsNullOrWhiteSpace(request.Reason), nameof(request.Reason), "give the approver a reason");
        Require(request.Resource is { Kind.Length: > 0, Id.Length: > 0 } && !string.IsNullOrWhiteSpace(request.Resource.Id) && !string.IsNullOrWhiteSpace(request.Resource.Kind), nameof(request.Resource), "a resource needs a kind and an id");
        Require(request.Requester is { Id.Length: > 0 } && !string.IsNullOrWhiteSpace(request.Requester.Id), nameof(request.Requester), "the requester is a directory person: give their object id (or user principal name, or mail)");
        Require(request.Deadline >= MinDeadline && request.Deadline <= MaxDeadline, nameof(request.Deadline), $"between {MinDeadline.TotalSeconds:0} seconds and {MaxDeadline.TotalDays:0} days");
        Require(request.Duration is null || request.Duration.Value >= TimeSpan.FromSeconds(1), nameof(request.Duration), "at least one second, or null for none");
        Require(request.PollInitial >= TimeSpan.FromSeconds(1) && request.PollMax >= request.PollInitial && request.PollMax <= TimeSpan.FromDays(1), nameof(request.PollInitial), "at least one second, and no longer than PollMax (at most a day)");
    }

    static void Require(bool holds, string field, string what)
    {
        if (!holds)
        {
            throw new ArgumentException($"ApprovalRequest.{field}: {what}.", field);
        }
    }

    /// <summary>The step's result from the run's: the verified grant, or the refusal it ended on.</summary>
    internal static ApprovalStepResult Outcome(string instanceId, ApprovalResult result, PetitionSnapshot? granted, PetitionSnapshot? lastRead)
    {
        if (result.Status == ApprovalStatuses.Completed && granted is not null)
        {
            var approver = granted.Approver;
            // What Indent recorded with the approval, never the duration asked for: none recorded is a grant without expiry.
            var seconds = granted.GrantedSeconds;
            return new ApprovalStepResult(
                new ApprovalGrant(
                    instanceId,
                    granted.Name,
                    approver?.Shown ?? granted.ApprovedBy ?? granted.DecidedBy ?? "unknown",
                    approver is { Automatic: null, PersonIds: [var id] } ? id : null,
                    seconds is { } s ? TimeSpan.FromSeconds(s) : null,
                    granted.GrantedAt),
                null);
        }

        var reason = result.Status switch
        {
            ApprovalStatuses.Cancelled => ApprovalRefusalReason.Cancelled,
            ApprovalStatuses.Expired => ApprovalRefusalReason.Expired,
            ApprovalStatuses.Denied when lastRead?.Phase == IndentPhases.Revoked => ApprovalRefusalReason.Revoked,
            ApprovalStatuses.Denied => ApprovalRefusalReason.Denied,
            _ => ApprovalRefusalReason.Failed, // failed; or continued as new, whose result nobody receives
        };
        return new ApprovalStepResult(null, new ApprovalRefusal(instanceId, reason, result.Detail, result.DecidedBy, result.Petition));
    }
}
