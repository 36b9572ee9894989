using System.Collections.Concurrent;
using DurableTask.Core;
using DurableTask.Core.History;
using DurableTask.Core.Query;

namespace Approvals.Local.Engine;

/// <summary>Decorates the engine's orchestration service: lifts the in-memory service's concurrency caps (it caps at
/// the processor count and the sidecar backs off 500 ms when saturated), and, for the in-memory service which keeps
/// no readable history, records every completed orchestration work item's history for the audit endpoint.</summary>
public sealed class EngineService(IOrchestrationService inner, int maxConcurrency, bool recordHistory)
    : IOrchestrationService, IOrchestrationServiceClient, IOrchestrationServiceQueryClient, IOrchestrationServicePurgeClient
{
    readonly IOrchestrationServiceClient client = (IOrchestrationServiceClient)inner;
    readonly ConcurrentDictionary<string, (string ExecutionId, List<HistoryEvent> Earlier, IList<HistoryEvent> Current)> history = new(StringComparer.Ordinal);

    long episodes, activities;

    public IOrchestrationService Inner => inner;

    /// <summary>Orchestrator episodes completed so far (each one a Durable Functions orchestrator execution).</summary>
    public long OrchestratorEpisodes => Interlocked.Read(ref episodes);

    /// <summary>Activity executions completed so far.</summary>
    public long ActivityExecutions => Interlocked.Read(ref activities);

    /// <summary>The recorded history of an instance (in-memory engine), or <c>null</c>.</summary>
    public IReadOnlyList<HistoryEvent>? RecordedHistory(string instanceId) =>
        history.TryGetValue(instanceId, out var h) ? [.. h.Earlier, .. h.Current] : null;

    public int MaxConcurrentTaskOrchestrationWorkItems => maxConcurrency;
    public int MaxConcurrentTaskActivityWorkItems => maxConcurrency;

    public async Task CompleteTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem, OrchestrationRuntimeState newOrchestrationRuntimeState, IList<TaskMessage> outboundMessages, IList<TaskMessage> orchestratorMessages, IList<TaskMessage> timerMessages, TaskMessage continuedAsNewMessage, OrchestrationState orchestrationState)
    {
        await inner.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState);
        Interlocked.Increment(ref episodes);
        if (recordHistory && newOrchestrationRuntimeState?.OrchestrationInstance is { } instance)
        {
            var events = newOrchestrationRuntimeState.Events.ToList();
            history.AddOrUpdate(
                instance.InstanceId,
                _ => (instance.ExecutionId, [], events),
                (_, old) => old.ExecutionId == instance.ExecutionId ? (old.ExecutionId, old.Earlier, events) : (instance.ExecutionId, [.. old.Earlier, .. old.Current], events));
        }
    }

    /// <summary>How long a stop waits for the inner service.</summary>
    public static readonly TimeSpan StopBound = TimeSpan.FromSeconds(10);

    readonly Lock stopGate = new();
    Task? stopping;

    /// <summary>Stops the inner service once, whoever asks first (the sidecar when its web app stops, the engine when the
    /// host stops), and waits at most <see cref="StopBound"/>. The Azure Storage service's table partition manager waits
    /// up to 10 minutes to drain messages no dispatcher will process any more and then throws — on the sidecar's
    /// fire-and-forget stop callback, where it takes the whole process down (measured: a benchmark process aborted 10
    /// minutes after it stopped a host with 1,000 approvals pending).</summary>
    async Task StopOnceAsync(bool isForced)
    {
        Task task;
        lock (stopGate)
        {
            if (stopping is null)
            {
                stopping = Task.Run(() => inner.StopAsync(isForced));
                stopping.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }

            task = stopping;
        }

        try
        {
            await task.WaitAsync(StopBound);
        }
        catch (TimeoutException)
        {
            // Not drained in time: this host is going away; its leases run out and another host takes the partitions.
        }
    }

    // Everything else forwards.
    public Task StartAsync() => inner.StartAsync();
    public Task StopAsync() => StopOnceAsync(isForced: false);
    public Task StopAsync(bool isForced) => StopOnceAsync(isForced);
    public Task CreateAsync() => inner.CreateAsync();
    public Task CreateAsync(bool recreateInstanceStore) => inner.CreateAsync(recreateInstanceStore);
    public Task CreateIfNotExistsAsync() => inner.CreateIfNotExistsAsync();
    public Task DeleteAsync() => inner.DeleteAsync();
    public Task DeleteAsync(bool deleteInstanceStore) => inner.DeleteAsync(deleteInstanceStore);
    public bool IsMaxMessageCountExceeded(int currentMessageCount, OrchestrationRuntimeState runtimeState) => inner.IsMaxMessageCountExceeded(currentMessageCount, runtimeState);
    public int GetDelayInSecondsAfterOnProcessException(Exception exception) => inner.GetDelayInSecondsAfterOnProcessException(exception);
    public int GetDelayInSecondsAfterOnFetchException(Exception exception) => inner.GetDelayInSecondsAfterOnFetchException(exception);
    public int TaskOrchestrationDispatcherCount => inner.TaskOrchestrationDispatcherCount;
    public BehaviorOnContinueAsNew EventBehaviourForContinueAsNew => inner.EventBehaviourForContinueAsNew;
    public Task<TaskOrchestrationWorkItem> LockNextTaskOrchestrationWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken) => inner.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, cancellationToken);
    public Task RenewTaskOrchestrationWorkItemLockAsync(TaskOrchestrationWorkItem workItem) => inner.RenewTaskOrchestrationWorkItemLockAsync(workItem);
    public Task AbandonTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.AbandonTaskOrchestrationWorkItemAsync(workItem);
    public Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.ReleaseTaskOrchestrationWorkItemAsync(workItem);
    public int TaskActivityDispatcherCount => inner.TaskActivityDispatcherCount;
    public Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken) => inner.LockNextTaskActivityWorkItem(receiveTimeout, cancellationToken);
    public Task<TaskActivityWorkItem> RenewTaskActivityWorkItemLockAsync(TaskActivityWorkItem workItem) => inner.RenewTaskActivityWorkItemLockAsync(workItem);
    public async Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage)
    {
        await inner.CompleteTaskActivityWorkItemAsync(workItem, responseMessage);
        Interlocked.Increment(ref activities);
    }
    public Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem) => inner.AbandonTaskActivityWorkItemAsync(workItem);

    public Task CreateTaskOrchestrationAsync(TaskMessage creationMessage) => client.CreateTaskOrchestrationAsync(creationMessage);
    public Task CreateTaskOrchestrationAsync(TaskMessage creationMessage, OrchestrationStatus[] dedupeStatuses) => client.CreateTaskOrchestrationAsync(creationMessage, dedupeStatuses);

    /// <summary>Events raised through the client reach only an instance that is running, as in Azure, where the Functions
    /// host's client reads the instance first and drops an event for one that does not exist or has finished: without
    /// this, the local engine would enqueue it, and the engine would then read the instance again to discard it.</summary>
    public async Task SendTaskOrchestrationMessageAsync(TaskMessage message)
    {
        if (await ReachesRunningInstanceAsync(message))
        {
            await client.SendTaskOrchestrationMessageAsync(message);
        }
    }

    public async Task SendTaskOrchestrationMessageBatchAsync(params TaskMessage[] messages)
    {
        var kept = new List<TaskMessage>(messages.Length);
        foreach (var message in messages)
        {
            if (await ReachesRunningInstanceAsync(message))
            {
                kept.Add(message);
            }
        }

        if (kept.Count > 0)
        {
            await client.SendTaskOrchestrationMessageBatchAsync([.. kept]);
        }
    }

    long droppedEvents;

    /// <summary>Events raised to an instance that was not running, dropped before they reached the engine.</summary>
    public long DroppedEvents => Interlocked.Read(ref droppedEvents);

    /// <summary>False (and counted as dropped) for a raised event whose instance is not running; true for anything else.</summary>
    async Task<bool> ReachesRunningInstanceAsync(TaskMessage message)
    {
        if (message.Event is not EventRaisedEvent
            || (await client.GetOrchestrationStateAsync(message.OrchestrationInstance.InstanceId, allExecutions: false))?.FirstOrDefault()?.OrchestrationStatus
                is OrchestrationStatus.Running or OrchestrationStatus.Pending or OrchestrationStatus.Suspended or OrchestrationStatus.ContinuedAsNew)
        {
            return true;
        }

        Interlocked.Increment(ref droppedEvents);
        return false;
    }

    public Task<OrchestrationState> WaitForOrchestrationAsync(string instanceId, string executionId, TimeSpan timeout, CancellationToken cancellationToken) => client.WaitForOrchestrationAsync(instanceId, executionId, timeout, cancellationToken);
    public Task ForceTerminateTaskOrchestrationAsync(string instanceId, string reason) => client.ForceTerminateTaskOrchestrationAsync(instanceId, reason);
    public Task<IList<OrchestrationState>> GetOrchestrationStateAsync(string instanceId, bool allExecutions) => client.GetOrchestrationStateAsync(instanceId, allExecutions);
    public Task<OrchestrationState> GetOrchestrationStateAsync(string instanceId, string executionId) => client.GetOrchestrationStateAsync(instanceId, executionId);
    public Task<string> GetOrchestrationHistoryAsync(string instanceId, string executionId) => client.GetOrchestrationHistoryAsync(instanceId, executionId);
    public Task PurgeOrchestrationHistoryAsync(DateTime thresholdDateTimeUtc, OrchestrationStateTimeRangeFilterType timeRangeFilterType) => client.PurgeOrchestrationHistoryAsync(thresholdDateTimeUtc, timeRangeFilterType);

    public Task<OrchestrationQueryResult> GetOrchestrationWithQueryAsync(OrchestrationQuery query, CancellationToken cancellationToken) =>
        inner is IOrchestrationServiceQueryClient q ? q.GetOrchestrationWithQueryAsync(query, cancellationToken) : throw new NotSupportedException("The engine cannot query instances.");

    public Task<PurgeResult> PurgeInstanceStateAsync(string instanceId) =>
        inner is IOrchestrationServicePurgeClient p ? p.PurgeInstanceStateAsync(instanceId) : throw new NotSupportedException("The engine cannot purge instances.");

    public Task<PurgeResult> PurgeInstanceStateAsync(PurgeInstanceFilter purgeInstanceFilter) =>
        inner is IOrchestrationServicePurgeClient p ? p.PurgeInstanceStateAsync(purgeInstanceFilter) : throw new NotSupportedException("The engine cannot purge instances.");
}
