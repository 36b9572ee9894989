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

/// <summary>Optional body of <c>POST /api/approvals/{id}/cancel</c>.</summary>
public sealed record CancelBody
{
    public string? Reason { get; init; }
}

/// <summary>202 body: the id and where to look (Durable's check-status shape).</summary>
public sealed record StartedResponse(string Id, string StatusQueryGetUri, string CancelPostUri, string HistoryGetUri);

/// <summary><c>GET /api/approvals/{id}</c>.</summary>
public sealed record ApprovalView(
    string Id,
    string Status,
    string? Petition,
    int ElapsedSeconds,
    string? DecidedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    ApprovalResultView? Result,
    string? Detail,
    int PollCount,
    DateTime? NextPollAt,
    string? UserId,
    string? Space);

public sealed record ApprovalResultView(string UserId, string CredentialReference, DateTimeOffset ExpiresOn, bool ForceChangeAtNextSignIn);

/// <summary>One line of the audit trail.</summary>
public sealed record AuditEntry(DateTimeOffset Timestamp, string Source, string Type, string? Name, string? Detail);

public sealed record HistoryView(string Id, string Status, string? Petition, string? PetitionPhase, IReadOnlyList<AuditEntry> Entries, string? PetitionError);

/// <summary>Strict JSON for request bodies: unknown fields are an error, names are camelCase.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PasswordResetBody))]
[JsonSerializable(typeof(CancelBody))]
[JsonSerializable(typeof(StartedResponse))]
[JsonSerializable(typeof(ApprovalView))]
[JsonSerializable(typeof(HistoryView))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
