using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Approvals.EndToEnd.Tests.Support;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace Approvals.EndToEnd.Tests.Reliability;

/// <summary>One place a secret could be, named (<see cref="Where"/>: which instance, event, table, blob…) so a finding
/// says where it was, of a kind (<see cref="Kind"/>: the same without the instance), with its text as stored.</summary>
public sealed record StatePlace(string Kind, string Where, string Text)
{
    /// <summary>An activity's output: a TaskCompleted history event (its Result).</summary>
    public bool IsActivityOutput => Where.Contains("TaskCompleted", StringComparison.Ordinal);
}

/// <summary>An instance as the engine lists it: its runtime status and the workflow's own outcome (the output's
/// <c>Status</c>, e.g. <c>completed</c>, <c>denied</c>, <c>cancelled</c>), null while it runs.</summary>
public sealed record EngineInstance(string Id, string RuntimeStatus, string? Outcome);

/// <summary>The durable engine's own record, read where it is kept rather than through the audit endpoint (which
/// leaves inputs and outputs out by design): everything a secret could leak into.</summary>
public interface IDurableState
{
    Task<IReadOnlyList<StatePlace>> ReadAsync();
}

/// <summary>A host's engine through its instance API (<c>/runtime/webhooks/durabletask/instances</c>): every
/// instance with its input, output and custom status, and each instance's full history with inputs and results —
/// for the in-memory engine, whose record lives only in the host process.</summary>
public sealed class EngineRecord(HostProcess host) : IDurableState
{
    const string Route = "runtime/webhooks/durabletask/instances";

    async Task<JsonElement> ListAsync()
    {
        using var response = await host.Http.GetAsync(Route);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"the engine's instance list answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    static string IdOf(JsonElement state) => state.GetProperty("OrchestrationInstance").GetProperty("InstanceId").GetString()!;

    /// <summary>Every instance the engine knows.</summary>
    public async Task<IReadOnlyList<EngineInstance>> InstancesAsync() =>
        [.. (await ListAsync()).EnumerateArray().Select(s => new EngineInstance(
            IdOf(s),
            ((DurableTask.Core.OrchestrationStatus)s.GetProperty("OrchestrationStatus").GetInt32()).ToString(),
            s.TryGetProperty("Output", out var o) && o.ValueKind == JsonValueKind.String && JsonDocument.Parse(o.GetString()!).RootElement is { ValueKind: JsonValueKind.Object } output
                && output.TryGetProperty("Status", out var status) ? status.GetString() : null))];

    public async Task<IReadOnlyList<StatePlace>> ReadAsync()
    {
        var places = new List<StatePlace>();
        foreach (var state in (await ListAsync()).EnumerateArray())
        {
            var id = IdOf(state);
            places.Add(new("engine instance (input, output, custom status)", $"engine: {id}: instance", state.GetRawText()));
            using var response = await host.Http.GetAsync($"{Route}/{Uri.EscapeDataString(id)}");
            using var record = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            foreach (var e in record.RootElement.GetProperty("historyEvents").EnumerateArray())
            {
                var type = e.TryGetProperty("EventType", out var t) && t.ValueKind == JsonValueKind.Number ? ((DurableTask.Core.History.EventType)t.GetInt32()).ToString() : "event";
                places.Add(new($"engine history {type}", $"engine: {id}: history {type}", e.GetRawText()));
            }
        }

        return places;
    }
}

/// <summary>A task hub on Azure Storage (Azurite), read raw: every entity of its tables (History, Instances,
/// Partitions — inputs, outputs, custom status, history), every blob of its containers (large messages, gzip-compressed
/// as DurableTask.AzureStorage writes them, decompressed here; leases) and every message still in its queues.</summary>
public sealed class TaskHubRecord(string connectionString, string taskHub) : IDurableState
{
    public async Task<IReadOnlyList<StatePlace>> ReadAsync()
    {
        var places = new List<StatePlace>();
        var tables = new TableServiceClient(connectionString);
        await foreach (var table in tables.QueryAsync())
        {
            if (!table.Name.StartsWith(taskHub, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            await foreach (var entity in tables.GetTableClient(table.Name).QueryAsync<TableEntity>())
            {
                var type = entity.TryGetValue("EventType", out var t) ? t?.ToString() : null;
                var text = string.Join('\n', entity.Select(p => $"{p.Key}={(p.Value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : p.Value)}"));
                var kind = $"task hub table {table.Name[taskHub.Length..]}{(type is null ? "" : " " + type)}";
                places.Add(new(kind, $"task hub: table {table.Name}: {entity.PartitionKey}{(type is null ? "" : " " + type)}", text));
            }
        }

        var blobs = new BlobServiceClient(connectionString);
        await foreach (var container in blobs.GetBlobContainersAsync(prefix: taskHub.ToLowerInvariant()))
        {
            var client = blobs.GetBlobContainerClient(container.Name);
            await foreach (var blob in client.GetBlobsAsync())
            {
                var content = (await client.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToArray();
                places.Add(new($"task hub blob {container.Name[taskHub.Length..]}", $"task hub: blob {container.Name}/{blob.Name}", Text(content)));
            }
        }

        var queues = new QueueServiceClient(connectionString);
        await foreach (var queue in queues.GetQueuesAsync(prefix: taskHub.ToLowerInvariant()))
        {
            foreach (var message in (await queues.GetQueueClient(queue.Name).PeekMessagesAsync(maxMessages: 32)).Value)
            {
                places.Add(new($"task hub queue {queue.Name[taskHub.Length..]}", $"task hub: queue {queue.Name}", Text(message.Body.ToArray())));
            }
        }

        return places;
    }

    /// <summary>The bytes as text, gunzipped first when they are gzip.</summary>
    static string Text(byte[] content)
    {
        if (content is [0x1f, 0x8b, ..])
        {
            using var gzip = new GZipStream(new MemoryStream(content), CompressionMode.Decompress);
            using var reader = new StreamReader(gzip, Encoding.UTF8);
            return reader.ReadToEnd();
        }

        return Encoding.UTF8.GetString(content);
    }
}
