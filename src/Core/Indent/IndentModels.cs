using System.Text.Json;
using System.Text.Json.Serialization;

namespace Approvals.Core.Indent;

/// <summary>Something a petition is about or someone who acts: a user, a group, an action.</summary>
public sealed record Resource
{
    public string? Id { get; init; }
    public string? Kind { get; init; }
    public string? Email { get; init; }
    public IReadOnlyList<string>? AltIds { get; init; }
    public string? DisplayName { get; init; }
    public IDictionary<string, string>? Labels { get; init; }

    /// <summary>Fields Indent sends that this version does not model; kept so nothing is lost on a round trip.</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>Labels and timestamps Indent keeps on an object.</summary>
public sealed record ObjectMeta
{
    public IDictionary<string, string>? Labels { get; init; }
    public DateTimeOffset? CreateTime { get; init; }
    public DateTimeOffset? UpdateTime { get; init; }

    [JsonExtensionData]
    public IDictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>A protobuf-style duration (<c>{seconds, nanos}</c>).</summary>
public sealed record IndentDuration
{
    public long Seconds { get; init; }
    public int Nanos { get; init; }

    public static IndentDuration From(TimeSpan span) => new()
    {
        Seconds = (long)Math.Floor(span.TotalSeconds),
        Nanos = (int)(span.Ticks % TimeSpan.TicksPerSecond * 100),
    };

    public TimeSpan ToTimeSpan() => TimeSpan.FromSeconds(Seconds) + TimeSpan.FromTicks(Nanos / 100);
}

/// <summary>An audit event: a request, an approval, a denial, a grant, a revocation.</summary>
public sealed record IndentEvent
{
    [JsonPropertyName("event")]
    public string? EventType { get; init; }
    public string? Id { get; init; }
    public Resource? Actor { get; init; }
    public string? Reason { get; init; }
    public DateTimeOffset? Timestamp { get; init; }
    public IReadOnlyList<Resource>? Resources { get; init; }
    public ObjectMeta? Meta { get; init; }

    [JsonExtensionData]
    public IDictionary<string, JsonElement>? Extra { get; set; }

    /// <summary>The petition this event is about (<c>meta.labels.petition</c>), when it says.</summary>
    [JsonIgnore]
    public string? PetitionName => Meta?.Labels is { } labels && labels.TryGetValue(IndentLabels.Petition, out var name) ? name : null;
}

public sealed record PetitionStatus
{
    public string? Phase { get; init; }

    [JsonExtensionData]
    public IDictionary<string, JsonElement>? Extra { get; set; }
}

public sealed record PetitionState
{
    public PetitionStatus? Status { get; init; }
    public IReadOnlyList<IndentEvent>? EventHistory { get; init; }

    [JsonExtensionData]
    public IDictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>A request for access or for an action, decided by an approver.</summary>
public sealed record Petition
{
    public string? Name { get; init; }
    public string? SpaceName { get; init; }
    public IReadOnlyList<Resource>? Petitioners { get; init; }
    public IReadOnlyList<Resource>? Resources { get; init; }
    public string? Reason { get; init; }
    public IndentDuration? DefaultDuration { get; init; }
    public ObjectMeta? Meta { get; init; }
    public PetitionState? State { get; init; }

    [JsonExtensionData]
    public IDictionary<string, JsonElement>? Extra { get; set; }

    /// <summary>The phase (<c>open</c>, <c>granted</c>, <c>revoked</c>, <c>closed</c>, …) or <c>null</c>.</summary>
    [JsonIgnore]
    public string? Phase => State?.Status?.Phase;
}

/// <summary>Phases and event types Indent uses, as constants.</summary>
public static class IndentPhases
{
    public const string Draft = "draft";
    public const string Open = "open";
    public const string Granted = "granted";
    public const string Revoked = "revoked";
    public const string Closed = "closed";
    public const string Deleted = "deleted";
}

public static class IndentEventTypes
{
    public const string Request = "access/request";
    public const string Approve = "access/approve";
    public const string Deny = "access/deny";
    public const string Grant = "access/grant";
    public const string Revoke = "access/revoke";
}

public static class IndentLabels
{
    /// <summary>The label on events that names their petition.</summary>
    public const string Petition = "petition";

    /// <summary>Approval duration on an approve claim, Go-style (<c>3h0m0s</c>).</summary>
    public const string Duration = "indent.com/time/duration";

    /// <summary>Our client-chosen request id: makes petition creation safe to retry.</summary>
    public const string RequestId = "approvals.dev/request-id";
}

// Request and response envelopes.
public sealed record CreatePetitionRequest(Petition Petition);

public sealed record CreateClaimRequest(IndentEvent Claim);

public sealed record ListPetitionsResponse
{
    public IReadOnlyList<Petition>? Petitions { get; init; }
    public string? NextPageToken { get; init; }
}

public sealed record ListResourcesResponse
{
    public IReadOnlyList<Resource>? Resources { get; init; }
    public string? NextPageToken { get; init; }
}

public sealed record GetResourceResponse
{
    public Resource? Resource { get; init; }
}

public sealed record BulkUpdateResourcesRequest(IReadOnlyList<Resource> Resources);

public sealed record BulkUpdateResourcesResponse
{
    public IReadOnlyList<Resource>? Resources { get; init; }
}

/// <summary>Indent's error/success envelope: <c>{"status":{"code":…,"message":…}}</c>.</summary>
public sealed record IndentStatusEnvelope
{
    public IndentStatus? Status { get; init; }
}

public sealed record IndentStatus
{
    public int? Code { get; init; }
    public string? Message { get; init; }
}

/// <summary>A webhook body: <c>{"events":[…]}</c>; pull-update and get-info bodies carry other fields.</summary>
public sealed record WebhookPayload
{
    public IReadOnlyList<IndentEvent>? Events { get; init; }
    public IReadOnlyList<string>? Kinds { get; init; }
    public JsonElement? Info { get; init; }
}

/// <summary>Source-generated System.Text.Json metadata for Indent's wire types (camelCase, absent fields omitted).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(Petition))]
[JsonSerializable(typeof(IndentEvent))]
[JsonSerializable(typeof(Resource))]
[JsonSerializable(typeof(CreatePetitionRequest))]
[JsonSerializable(typeof(CreateClaimRequest))]
[JsonSerializable(typeof(ListPetitionsResponse))]
[JsonSerializable(typeof(ListResourcesResponse))]
[JsonSerializable(typeof(GetResourceResponse))]
[JsonSerializable(typeof(BulkUpdateResourcesRequest))]
[JsonSerializable(typeof(BulkUpdateResourcesResponse))]
[JsonSerializable(typeof(IndentStatusEnvelope))]
[JsonSerializable(typeof(WebhookPayload))]
public sealed partial class IndentJsonContext : JsonSerializerContext;
