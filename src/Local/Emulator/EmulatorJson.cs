using System.Text.Json.Serialization;
using Approvals.Core.Indent;

namespace Approvals.Local.Emulator;

/// <summary>One attempt to deliver a webhook.</summary>
public sealed record DeliveryAttempt(DateTimeOffset At, int? StatusCode, string? Error, DateTimeOffset? SentAt = null);

/// <summary>Where a webhook delivery stands; written as <c>pending</c>, <c>delivered</c>, <c>failed</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeliveryState>))]
public enum DeliveryState
{
    [JsonStringEnumMemberName("pending")]
    Pending,
    [JsonStringEnumMemberName("delivered")]
    Delivered,
    [JsonStringEnumMemberName("failed")]
    Failed,
}

/// <summary>A webhook delivery and its log.</summary>
public sealed record Delivery
{
    public required string Id { get; init; }
    public required string Url { get; init; }
    public required string Body { get; init; }
    public required string EventType { get; init; }
    public string? Petition { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public DeliveryState State { get; set; } = DeliveryState.Pending;
    public List<DeliveryAttempt> Attempts { get; init; } = [];
}

public sealed record ClaimRecord(string Id, string Petition, IndentEvent Event);

public sealed record DeliveriesResponse(IReadOnlyList<Delivery> Deliveries);

public sealed record RulesBody(IReadOnlyList<DecisionRule> Rules);

/// <summary>Body of <c>POST /indent/_admin/tokens</c>.</summary>
public sealed record TokenRequest(string? Email);

public sealed record TokenResponse(string Token);

public sealed record EmulatorStats(int Petitions, int Open, int Granted, int Closed, int Revoked, int DeliveriesPending, int DeliveriesDelivered, int DeliveriesFailed, IReadOnlyDictionary<string, long> ApiCalls, long FaultsFired);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = true,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(Delivery))]
[JsonSerializable(typeof(ClaimRecord))]
[JsonSerializable(typeof(DeliveriesResponse))]
[JsonSerializable(typeof(RulesBody))]
[JsonSerializable(typeof(TokenRequest))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(FaultSpec))]
[JsonSerializable(typeof(EmulatorStats))]
[JsonSerializable(typeof(Petition))]
[JsonSerializable(typeof(Resource))]
internal sealed partial class EmulatorJsonContext : JsonSerializerContext;
