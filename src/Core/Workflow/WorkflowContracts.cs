using Approvals.Core.Actions;

namespace Approvals.Core.Workflow;

/// <summary>Names of the durable external events the workflow waits on.</summary>
public static class ApprovalEvents
{
    /// <summary>Raised by the Indent webhook endpoint: a hint that a decision may have been made.</summary>
    public const string IndentDecision = "IndentDecision";

    /// <summary>Raised by <c>POST /api/approvals/{id}/cancel</c>.</summary>
    public const string Cancel = "Cancel";
}

/// <summary>The values of <c>status</c> in the public contract.</summary>
public static class ApprovalStatuses
{
    public const string Pending = "pending";
    public const string AwaitingApproval = "awaiting_approval";
    public const string Approved = "approved";
    public const string Completed = "completed";
    public const string Denied = "denied";
    public const string Expired = "expired";
    public const string Cancelled = "cancelled";
    public const string Failed = "failed";

    /// <summary>The workflow has taken a cancel (nothing will act) and is closing the petition.</summary>
    public const string Cancelling = "cancelling";

    /// <summary>Time-boxed access: granted, the membership in place until <c>activeUntil</c> (or an earlier end).</summary>
    public const string Active = "active";

    public static bool IsFinal(string status) => status is Completed or Denied or Expired or Cancelled or Failed;
}

/// <summary>The orchestration's input. Everything time- or configuration-dependent is decided by the starter
/// and carried here, so the orchestrator stays deterministic.</summary>
public sealed record ApprovalInput(
    string Action,
    string UserId,
    string Reason,
    int DeadlineSeconds,
    int PollInitialSeconds,
    int PollMaxSeconds,
    string RequestHash,
    DateTimeOffset RequestedAt,
    ApprovalContinuation? Continued = null,
    Identity.Requester? RequestedBy = null,
    TargetUser? Target = null,
    AccessRequest? Access = null,
    ActionParameters? Parameters = null)
{
    /// <summary>The id of the one resource the petition must name: the Indent resource asked for, or <c>action:user</c>.</summary>
    public string ResourceId => Access?.ResourceId ?? PetitionSeal.ResourceIdFor(Action, UserId);
}

/// <summary>What a time-boxed access request asks for: an Indent resource (as listed requestable), the group whose
/// membership grants it, and for how long.</summary>
public sealed record AccessRequest(string ResourceId, string ResourceKind, string ResourceName, string GroupId, int DurationSeconds);

/// <summary>What became of a time-boxed access: when it began and was due to end, when and why it ended.</summary>
public sealed record AccessOutcome(string ResourceId, string ResourceName, string GroupId, string Member, DateTime GrantedAt, DateTime ActiveUntil, DateTime EndedAt, string EndedBecause);

/// <summary>A membership to add or remove (the activities are idempotent).</summary>
public sealed record MembershipInput(string InstanceId, string GroupId, string MemberId);

/// <summary>A grant of time-boxed access as the ledger records it (orchestration version 1.1 on): the membership, and
/// <paramref name="NotAfter"/>, Indent's grant time plus the approved duration.</summary>
public sealed record AccessGrantInput(string InstanceId, string GroupId, string MemberId, DateTimeOffset NotAfter);

/// <summary>The user the action is for, as the directory named them when the approval started: the four-eyes check
/// refuses a grant decided by any of <see cref="SignInNames"/>.</summary>
public sealed record TargetUser(string Id, string? DisplayName, IReadOnlyList<string> SignInNames);

/// <summary>State carried across <c>ContinueAsNew</c> during a long wait.</summary>
public sealed record ApprovalContinuation(string PetitionName, DateTime StartedAt, int PollCount, int IntervalSeconds);

/// <summary>Payload of <see cref="ApprovalEvents.IndentDecision"/>: what the webhook said, to be verified.</summary>
public sealed record IndentDecision(string PetitionName, string EventType, string? EventId, string? Actor);

/// <summary>Payload of <see cref="ApprovalEvents.Cancel"/>.</summary>
public sealed record CancelRequest(string? Reason, string? By = null);

/// <summary>What to petition for; <paramref name="Resource"/> is the Indent resource asked for (time-boxed access), null
/// for an action on a user (the password reset).</summary>
public sealed record CreatePetitionInput(string InstanceId, string Action, string UserId, string Reason, Identity.Requester? RequestedBy = null, string? UserDisplayName = null, AccessRequest? Resource = null, int? DurationSeconds = null, string? Title = null);

/// <summary>A petition as created: its name and the space it lives in.</summary>
public sealed record PetitionRef(string Name, string Space);

/// <summary>What to read, and whose it must be (the instance, action and user; null for instances started before the
/// seal existed, which are read unchecked).</summary>
public sealed record GetPetitionInput(string PetitionName, string? InstanceId = null, string? Action = null, string? UserId = null, string? ResourceId = null);

/// <summary>What the workflow needs to know of a petition read back from Indent; <paramref name="GrantedSeconds"/> is the
/// duration the approver granted (<c>indent.com/time/duration</c> on the approve claim), null when indefinite;
/// <paramref name="GrantedAt"/> is when Indent granted it (its <c>access/grant</c> event, else the approval), the start of
/// the time box. <paramref name="Approver"/> is who approved a grant as the directory knows them — null only in
/// snapshots recorded by a build that did not resolve approvers yet (their histories keep the rule they were judged by).</summary>
public sealed record PetitionSnapshot(string Name, string? Phase, string? DecidedBy, DateTimeOffset? UpdatedAt, string? Refusal = null, string? ApprovedBy = null, int? GrantedSeconds = null, DateTimeOffset? GrantedAt = null, People.ApproverCheck? Approver = null)
{
    /// <summary>The petition is not this approval's (see <see cref="PetitionSeal"/>): never act on it.</summary>
    public bool IsForeign => Refusal is not null;

    public bool IsGranted => Refusal is null && Phase == Indent.IndentPhases.Granted;

    /// <summary>Final without a grant: denied, closed, revoked, deleted.</summary>
    public bool IsRefused => Phase is Indent.IndentPhases.Closed or Indent.IndentPhases.Revoked or Indent.IndentPhases.Deleted;
}

/// <summary>Closes an open petition; with <paramref name="RevokeGrant"/>, revokes a granted one too (a grant the
/// workflow refuses to use, such as a self-approval).</summary>
public sealed record ClosePetitionInput(string InstanceId, string PetitionName, string Reason, bool RevokeGrant = false);

public sealed record ResetPasswordInput(string InstanceId, string UserId, string PetitionName);

/// <summary>What <see cref="VerifyAndResetActivity"/> reads, whose four eyes it checks, and what it resets when granted.</summary>
public sealed record VerifyAndResetInput(GetPetitionInput Read, ResetPasswordInput Reset, Identity.Requester? RequestedBy, TargetUser? Target);

/// <summary>The petition as read, and the reset when it was granted to be used: its outcome, or why it failed (and
/// whether retrying cannot help). Neither when the grant was not there or not usable.</summary>
public sealed record VerifiedReset(PetitionSnapshot Petition, PasswordResetOutcome? Outcome = null, string? Error = null, bool Permanent = false, bool CancelledFirst = false);

/// <summary>Custom status: what Durable Functions Monitor and <c>GET /api/approvals/{id}</c> show while it runs.</summary>
public sealed record ApprovalProgressStatus
{
    public required string Status { get; init; }
    public string? Petition { get; init; }
    public int ElapsedSeconds { get; init; }
    public int PollCount { get; init; }
    public DateTime? NextPollAt { get; init; }
    public string? DecidedBy { get; init; }
    public string? Detail { get; init; }

    /// <summary>Time-boxed access: when the membership is due to end.</summary>
    public DateTime? ActiveUntil { get; init; }
}

/// <summary>The orchestration's typed outcome.</summary>
public sealed record ApprovalResult(
    string Status,
    string? Petition,
    string? DecidedBy,
    string? Detail,
    int PollCount,
    DateTime CompletedAt,
    PasswordResetOutcome? Result,
    AccessOutcome? Access = null,
    ActionOutcome? Outcome = null);

/// <summary>What <see cref="RunActionActivity"/> runs: the action (by name), for whom, with which fields, and when it was
/// asked for.</summary>
public sealed record RunActionInput(string InstanceId, string Action, string UserId, string PetitionName, ActionParameters? Parameters, DateTimeOffset RequestedAt);

/// <summary>Input of <see cref="VerifyAndActActivity"/>: the read, the act, and the persons four eyes keeps apart.</summary>
public sealed record VerifyAndActInput(GetPetitionInput Read, RunActionInput Act, Identity.Requester? RequestedBy, TargetUser? Target);

/// <summary>What <see cref="VerifyAndActActivity"/> found and did: the petition, and the action's outcome, its failure, or
/// that a cancel claimed the approval's fence first (nothing done).</summary>
public sealed record VerifiedAction(PetitionSnapshot Petition, Actions.ActionOutcome? Outcome = null, string? Error = null, bool Permanent = false, bool CancelledFirst = false);

/// <summary>Input of <see cref="CredentialRevealOrchestrator"/>: the one reveal (or expiry) of an approval's temporary
/// password — who and when, never the value.</summary>
public sealed record CredentialRevealInput(string ApprovalId, string CredentialName, string Outcome, string? By, DateTimeOffset At);

/// <summary>What became of the credential after its reveal: destroyed in the store, or not there any more.</summary>
public sealed record CredentialRevealResult(string Outcome, string? By, DateTimeOffset At, bool Destroyed);
