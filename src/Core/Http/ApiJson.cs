using System.Text.Json.Serialization;

namespace Approvals.Core.Http;

/// <summary>Body of <c>POST /api/password-resets</c>.</summary>
public sealed record PasswordResetBody
{
    public string? UserId { get; init; }
    public string? Reason { get; init; }

    /// <summary>Optional: how long to wait for a decision, bounded by configuration.</summary>
    public int? DeadlineSeconds { get; init; }
}

/// <summary>Body of <c>POST /api/access-requests</c>: a requestable resource (by id or display name), why, for how long.</summary>
public sealed record AccessRequestBody
{
    public string? Resource { get; init; }
    public string? Reason { get; init; }

    /// <summary>How long the access lasts once granted, bounded by configuration; the deployment's default when absent.</summary>
    public int? DurationSeconds { get; init; }

    /// <summary>Optional: how long to wait for a decision, as for a password reset.</summary>
    public int? DeadlineSeconds { get; init; }
}

/// <summary>One resource the caller may request (<c>GET /api/resources</c>).</summary>
public sealed record RequestableResourceView(string Id, string Kind, string DisplayName);

/// <summary><c>GET /api/resources</c>: what may be requested here, and the durations one may ask for.</summary>
public sealed record ResourcesView(IReadOnlyList<RequestableResourceView> Resources, int MinDurationSeconds, int MaxDurationSeconds, int DefaultDurationSeconds);

/// <summary>Time-boxed access as the status shows it: what, until when, and (once over) when and why it ended.</summary>
public sealed record AccessView(string Resource, string ResourceName, int DurationSeconds, DateTime? ActiveUntil = null, DateTime? GrantedAt = null, DateTime? EndedAt = null, string? EndedBecause = null);

/// <summary>Optional body of <c>POST /api/approvals/{id}/cancel</c>.</summary>
public sealed record CancelBody
{
    public string? Reason { get; init; }
}

/// <summary>202 body: the id and where to look (Durable's check-status shape).</summary>
public sealed record StartedResponse(string Id, string StatusQueryGetUri, string CancelPostUri, string HistoryGetUri);

/// <summary><c>GET /api/health</c>.</summary>
public sealed record HealthView(string Status, IReadOnlyList<string>? Missing = null);

/// <summary>202 body of <c>POST /api/approvals/{id}/cancel</c>.</summary>
public sealed record CancelAccepted(string Id, string Status);

/// <summary><c>GET /api/approvals/{id}</c>.</summary>
public sealed record ApprovalView
{
    public required string Id { get; init; }
    public required string Status { get; init; }
    public string? Petition { get; init; }
    public int ElapsedSeconds { get; init; }
    public string? DecidedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public ApprovalResultView? Result { get; init; }
    public string? Detail { get; init; }
    public int PollCount { get; init; }
    public DateTime? NextPollAt { get; init; }
    public string? UserId { get; init; }
    public string? Space { get; init; }

    /// <summary>Who asked (the token's sign-in name and display name).</summary>
    public RequesterView? RequestedBy { get; init; }

    /// <summary>Once the reset has completed: whether its temporary password is still to be collected.</summary>
    public CredentialView? Credential { get; init; }

    /// <summary>What the approval guards: <c>reset-password</c> or <c>access</c>.</summary>
    public string? Kind { get; init; }

    /// <summary>Time-boxed access: the resource, and while <c>active</c> (or after) until when.</summary>
    public AccessView? Access { get; init; }

    /// <summary>A password reset: whose password, as the directory named the user when the request was checked.</summary>
    public TargetView? Target { get; init; }
}

/// <summary>The user a password reset is for: the directory's id, display name and sign-in name.</summary>
public sealed record TargetView(string Id, string? Name, string? SignInName);

public sealed record RequesterView(string Email, string? Name);

/// <summary>The values of <see cref="CredentialView.State"/>.</summary>
public static class CredentialStates
{
    public const string Available = "available";
    public const string Revealed = "revealed";
    public const string Expired = "expired";
    public const string Destroyed = "destroyed";
}

/// <summary>The temporary password's fate: <c>available</c> until the requester collects it, then <c>revealed</c>
/// (by whom, when); <c>expired</c> when nobody did in time.</summary>
public sealed record CredentialView(string State, string? RevealedBy, DateTimeOffset? RevealedAt);

/// <summary>200 body of <c>POST /api/approvals/{id}/credential</c> — the one response that carries a password.</summary>
public sealed record CredentialResponse(string Password, DateTimeOffset ExpiresOn, bool ForceChangeAtNextSignIn, string? Kind = null);

public sealed record ApprovalResultView(string UserId, string CredentialReference, DateTimeOffset ExpiresOn, bool ForceChangeAtNextSignIn);

/// <summary>One line of the audit trail.</summary>
public sealed record AuditEntry(DateTimeOffset Timestamp, string Source, string Type, string? Name, string? Detail);

public sealed record HistoryView(string Id, string Status, string? Petition, string? PetitionPhase, IReadOnlyList<AuditEntry> Entries, string? PetitionError, RequesterView? RequestedBy = null);

/// <summary>Strict JSON for request bodies: unknown fields are an error, names are camelCase.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PasswordResetBody))]
[JsonSerializable(typeof(CancelBody))]
[JsonSerializable(typeof(AccessRequestBody))]
[JsonSerializable(typeof(ResourcesView))]
[JsonSerializable(typeof(StartedResponse))]
[JsonSerializable(typeof(CancelAccepted))]
[JsonSerializable(typeof(HealthView))]
[JsonSerializable(typeof(ApprovalView))]
[JsonSerializable(typeof(HistoryView))]
[JsonSerializable(typeof(CredentialResponse))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
