using System.Text.Json;
using Approvals.Core.Http;
using DurableTask.Core.History;
using Microsoft.DurableTask.Client;

namespace Approvals.Local.Engine;

/// <summary>Durable history for the audit endpoint on the local host. The sidecar's history stream only serves
/// in-flight replays, so this reads the engine directly: the recorded history (in memory) or the task hub's
/// stored history (Azure Storage).</summary>
public sealed class EngineHistorySource(DurableEngine engine) : IApprovalHistorySource
{
    public async Task<IReadOnlyList<AuditEntry>> ReadAsync(DurableTaskClient client, string instanceId, CancellationToken cancellationToken = default)
    {
        if (engine.Service.RecordedHistory(instanceId) is { } recorded)
        {
            return recorded.Select(DurableAudit.ToAuditEntry).ToList();
        }

        if (!engine.IsDurable)
        {
            return [];
        }

        var json = await engine.Service.GetOrchestrationHistoryAsync(instanceId, null!);
        return ParseStoredHistory(json);
    }

    /// <summary>Azure Storage returns the history as JSON; read what the audit needs without trusting type hints.</summary>
    public static IReadOnlyList<AuditEntry> ParseStoredHistory(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return [];
        }

        using var document = JsonDocument.Parse(json);
        var entries = new List<AuditEntry>();
        var array = document.RootElement.ValueKind == JsonValueKind.Array ? document.RootElement
            : document.RootElement.TryGetProperty("Events", out var ev) ? ev : default;
        if (array.ValueKind != JsonValueKind.Array)
        {
            return entries;
        }

        foreach (var e in array.EnumerateArray())
        {
            var type = e.TryGetProperty("EventType", out var t)
                ? t.ValueKind == JsonValueKind.Number ? ((EventType)t.GetInt32()).ToString() : t.GetString() ?? "unknown"
                : "unknown";
            var timestamp = e.TryGetProperty("Timestamp", out var ts) && ts.TryGetDateTimeOffset(out var at) ? at : DateTimeOffset.MinValue;
            var name = e.TryGetProperty("Name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
            string? detail = null;
            if (type == nameof(EventType.ExecutionStarted))
            {
                detail = "version " + Core.Workflow.WorkflowVersions.Describe(e.TryGetProperty("Version", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null);
            }
            else if (type == nameof(EventType.TimerFired) && e.TryGetProperty("FireAt", out var fired) && fired.TryGetDateTimeOffset(out var firedAt))
            {
                // Stored when the timer was created; it happened at its due time (as DurableAudit reads it).
                timestamp = firedAt;
                detail = e.TryGetProperty("TimerId", out var id) && id.ValueKind == JsonValueKind.Number ? $"timer {id.GetInt32()} fired" : "timer fired";
            }
            else if (e.TryGetProperty("FireAt", out var fire) && fire.ValueKind == JsonValueKind.String)
            {
                detail = "fires at " + fire.GetString();
            }
            else if (e.TryGetProperty("OrchestrationStatus", out var status))
            {
                detail = status.ValueKind == JsonValueKind.Number ? ((DurableTask.Core.OrchestrationStatus)status.GetInt32()).ToString() : status.ToString();
            }

            entries.Add(new AuditEntry(timestamp, "durable", type, name, detail));
        }

        return entries;
    }
}
