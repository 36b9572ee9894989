using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Approvals.Core.Telemetry;

/// <summary>What an operator watches, as OpenTelemetry-ready .NET instruments (one <see cref="Meter"/> and one
/// <see cref="ActivitySource"/>, both named <see cref="Name"/>): approvals started, decided by outcome, time to
/// decision, the action's duration, and refused webhook signatures. Each host chooses the exporter (Azure Monitor in
/// the Functions app; console or OTLP on the local host). No secret is ever a tag.</summary>
public static class ApprovalsTelemetry
{
    public const string Name = "Approvals";

    public static readonly ActivitySource Source = new(Name);

    static readonly Meter Meter = new(Name);

    /// <summary><c>approvals.started</c>: approvals the API started (an idempotent repeat is not counted).</summary>
    public static readonly Counter<long> Started = Meter.CreateCounter<long>("approvals.started", description: "Approvals started");

    /// <summary><c>approvals.finished</c>, tagged <c>status</c> (completed, denied, expired, cancelled, failed).</summary>
    public static readonly Counter<long> Finished = Meter.CreateCounter<long>("approvals.finished", description: "Approvals finished, by status");

    /// <summary><c>approvals.time_to_decision</c>: from the request to the end of the wait, in seconds, tagged <c>status</c>.</summary>
    public static readonly Histogram<double> TimeToDecision = Meter.CreateHistogram<double>("approvals.time_to_decision", unit: "s", description: "Request to decision");

    /// <summary><c>approvals.action.duration</c>: one attempt of the sensitive action, in milliseconds, tagged <c>outcome</c>.</summary>
    public static readonly Histogram<double> ActionDuration = Meter.CreateHistogram<double>("approvals.action.duration", unit: "ms", description: "One attempt of the action");

    /// <summary><c>approvals.webhooks.refused</c>, tagged <c>reason</c>: a spike is someone forging webhooks.</summary>
    public static readonly Counter<long> WebhooksRefused = Meter.CreateCounter<long>("approvals.webhooks.refused", description: "Webhook deliveries refused");
}
