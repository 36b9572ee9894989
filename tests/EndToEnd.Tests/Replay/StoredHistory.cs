using System.Text.Json;
using Approvals.Core.Tests.Workflow.Replay;
using DurableTask.AzureStorage;

namespace Approvals.EndToEnd.Tests.Replay;

/// <summary>Reads instances' durable histories straight from a task hub on Azurite, as DurableTask.AzureStorage stores
/// them (the backend Durable Functions uses in Azure) — whichever build wrote them.</summary>
public sealed class StoredHistory(string taskHub) : IDisposable
{
    readonly AzureStorageOrchestrationService service = new(new AzureStorageOrchestrationServiceSettings
    {
        TaskHubName = taskHub,
        StorageAccountClientProvider = new StorageAccountClientProvider("UseDevelopmentStorage=true"),
    });

    /// <summary>The latest execution's history of <paramref name="instanceId"/>, oldest event first.</summary>
    public async Task<List<RecordedEvent>> ReadAsync(string instanceId)
    {
        var json = await service.GetOrchestrationHistoryAsync(instanceId, null!);
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateArray().Select(RecordedEvent.FromStored)];
    }

    /// <summary>The history once it ends (an <c>ExecutionCompleted</c> event), waiting at most <paramref name="bound"/>.</summary>
    public async Task<List<RecordedEvent>> ReadFinishedAsync(string instanceId, TimeSpan bound)
    {
        var until = DateTime.UtcNow + bound;
        while (true)
        {
            var events = await ReadAsync(instanceId);
            if (events.Any(e => e.Type == "ExecutionCompleted") || DateTime.UtcNow > until)
            {
                return events;
            }

            await Task.Delay(200);
        }
    }

    public void Dispose() => service.Dispose();
}
