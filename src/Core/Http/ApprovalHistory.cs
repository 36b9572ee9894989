using Microsoft.DurableTask.Client;

namespace Approvals.Core.Http;

/// <summary>Reads an instance's durable history for the audit endpoint. In Azure the Functions host serves
/// <see cref="DurableTaskClient.GetOrchestrationHistoryAsync"/>; the local host plugs in its engine's own record.</summary>
public interface IApprovalHistorySource
{
    Task<IReadOnlyList<AuditEntry>> ReadAsync(DurableTaskClient client, string instanceId, CancellationToken cancellationToken = default);
}

/// <summary>History through the durable client.</summary>
public sealed class ClientApprovalHistorySource : IApprovalHistorySource
{
    public async Task<IReadOnlyList<AuditEntry>> ReadAsync(DurableTaskClient client, string instanceId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            var events = await client.GetOrchestrationHistoryAsync(instanceId, cancellationToken);
            return events.Select(DurableAudit.ToAuditEntry).ToList();
        }
        catch (Exception e) when (e is NotSupportedException or NotImplementedException or ArgumentException)
        {
            return [];
        }
    }
}

/// <summary>Maps DurableTask.Core history events to audit lines: what ran, what was awaited, what arrived. Inputs
/// and outputs are left out (they carry no secret, by invariant, but the audit trail does not need them).</summary>
public static class DurableAudit
{
    public static AuditEntry ToAuditEntry(DurableTask.Core.History.HistoryEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var (name, detail) = e switch
        {
            DurableTask.Core.History.ExecutionStartedEvent s => (s.Name, "version " + Workflow.WorkflowVersions.Describe(s.Version)),
            DurableTask.Core.History.TaskScheduledEvent s => (s.Name, null),
            DurableTask.Core.History.TaskCompletedEvent c => ((string?)null, $"task {c.TaskScheduledId} completed"),
            DurableTask.Core.History.TaskFailedEvent f => (null, $"task {f.TaskScheduledId} failed: {f.FailureDetails?.ErrorType}"),
            DurableTask.Core.History.EventRaisedEvent r => (r.Name, null),
            DurableTask.Core.History.TimerCreatedEvent t => (null, "fires at " + t.FireAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
            DurableTask.Core.History.TimerFiredEvent t => (null, $"timer {t.TimerId} fired"),
            DurableTask.Core.History.ContinueAsNewEvent => (null, "continued as new"),
            DurableTask.Core.History.ExecutionCompletedEvent c => (null, c.OrchestrationStatus.ToString()),
            _ => (null, null),
        };
        // A timer's fired event is made when the timer is created (its message waits until the due time), so its own
        // timestamp is the creation's; it happened at FireAt.
        var at = e is DurableTask.Core.History.TimerFiredEvent timer ? timer.FireAt : e.Timestamp;
        return new AuditEntry(new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)), "durable", e.EventType.ToString(), name, detail);
    }
}
