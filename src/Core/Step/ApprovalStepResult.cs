using System.Text.Json.Serialization;

namespace Approvals.Core.Step;

/// <summary>What the approval step returns: exactly one of <see cref="Grant"/> (the caller may now run its own activity)
/// and <see cref="Refusal"/> (it must not).</summary>
public sealed record ApprovalStepResult(ApprovalGrant? Grant, ApprovalRefusal? Refusal)
{
    /// <summary>True when the petition was read back from Indent as granted, sealed for this step, and approved by a
    /// directory person other than the requester.</summary>
    [JsonIgnore]
    public bool IsGranted => Grant is not null;
}

/// <summary>A verified grant.</summary>
/// <param name="InstanceId">The step's own instance id (its history is the audit trail).</param>
/// <param name="Petition">The Indent petition, e.g. <c>petitions/…</c>.</param>
/// <param name="Approver">Who approved, for people to read (email, else name).</param>
/// <param name="ApproverId">The approver's directory object id; null when an automatic approver listed in
/// <c>APPROVALS_AUTO_APPROVERS</c> granted it.</param>
/// <param name="Duration">How long the grant lasts as Indent recorded it with the approval (the approver's choice, which
/// may differ from <see cref="ApprovalRequest.Duration"/>); null when Indent recorded none: a grant without expiry. Never
/// the duration asked for.</param>
/// <param name="GrantedAt">When Indent granted it: the start of <paramref name="Duration"/>.</param>
public sealed record ApprovalGrant(string InstanceId, string Petition, string Approver, string? ApproverId, TimeSpan? Duration, DateTimeOffset? GrantedAt);

/// <summary>Why there is no grant to act on.</summary>
/// <param name="InstanceId">The step's own instance id.</param>
/// <param name="Reason">Denied, revoked, expired, cancelled, or failed.</param>
/// <param name="Detail">A sentence for people (for a four-eyes refusal, which rule).</param>
/// <param name="DecidedBy">Who decided, when someone did.</param>
/// <param name="Petition">The petition, once created.</param>
public sealed record ApprovalRefusal(string InstanceId, ApprovalRefusalReason Reason, string? Detail, string? DecidedBy, string? Petition);

/// <summary>The kinds of refusal.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ApprovalRefusalReason>))]
public enum ApprovalRefusalReason
{
    /// <summary>Denied or closed in Indent, or granted by someone four eyes does not accept (the requester, nobody the
    /// directory knows); a grant refused that way is revoked.</summary>
    Denied,

    /// <summary>The petition was revoked before the step read it as granted.</summary>
    Revoked,

    /// <summary>No decision before the deadline; the petition is closed.</summary>
    Expired,

    /// <summary>A <c>Cancel</c> event reached the step first; the petition is closed.</summary>
    Cancelled,

    /// <summary>The petition could not be created, or the one read back was not ours (no valid seal).</summary>
    Failed,
}
