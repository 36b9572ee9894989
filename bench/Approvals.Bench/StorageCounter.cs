using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Approvals.Bench;

/// <summary>A counting proxy in front of Azurite: one listener per storage service (blob, queue, table), each forwarding
/// every request unchanged to Azurite's own port (YARP's <see cref="IHttpForwarder"/>) and counting it by service and
/// kind as it passes — what the storage account would bill, seen from the wire, not from the host's own bookkeeping.
/// Queue reads are split into dequeues that returned a message and empty ones (the idle polling a host does).</summary>
public sealed class StorageCounter : IAsyncDisposable
{
    // Azurite's development account: a published, well-known key (not a secret).
    const string DevAccount = "devstoreaccount1";
    const string DevKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    static readonly (string Service, int AzuritePort)[] Services = [("blob", 10000), ("queue", 10001), ("table", 10002)];

    readonly WebApplication app;
    readonly ConcurrentDictionary<string, long> counts = new(StringComparer.Ordinal);
    readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();
    ConcurrentQueue<TracedRequest>? trace;

    StorageCounter(WebApplication app, string connectionString)
    {
        this.app = app;
        ConnectionString = connectionString;
    }

    /// <summary>A connection string whose three endpoints are this proxy's listeners.</summary>
    public string ConnectionString { get; }

    /// <summary>The counts so far, by <c>service.kind</c>.</summary>
    public Dictionary<string, long> Snapshot() => new(counts, StringComparer.Ordinal);

    /// <summary>From now on, every request is also recorded in order (kind, and the queue or table it named).</summary>
    public void StartTrace() => trace = new();

    /// <summary>Stops recording and returns what was recorded since <see cref="StartTrace"/>.</summary>
    public IReadOnlyList<TracedRequest> StopTrace()
    {
        var recorded = trace;
        trace = null;
        return recorded?.ToArray() ?? [];
    }

    /// <summary>Records a moment of the workflow in the trace (not a request), to read the requests against.</summary>
    public void Mark(string what) => trace?.Enqueue(new(clock.Elapsed, "mark", what));

    void Count(string kind, string path)
    {
        counts.AddOrUpdate(kind, 1, (_, n) => n + 1);
        if (trace is { } t)
        {
            var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var target = segments.Length > 1 ? segments[1] : "";
            var paren = target.IndexOf('(', StringComparison.Ordinal); // a table entity: Table(PartitionKey='…',RowKey='…')
            t.Enqueue(new(clock.Elapsed, kind, paren > 0 ? target[..paren] : target));
        }
    }

    public static Task<StorageCounter> StartAsync() => Local.Hosting.FreePorts.StartAsync(StartOnceAsync);

    static async Task<StorageCounter> StartOnceAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddHttpForwarder();
        var ports = Services.Select(_ => Local.Hosting.FreePorts.Pick(IPAddress.Loopback)).ToArray();
        builder.WebHost.ConfigureKestrel(k =>
        {
            foreach (var port in ports)
            {
                k.Listen(IPAddress.Loopback, port);
            }
        });
        var app = builder.Build();
        var invoker = new HttpMessageInvoker(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None, UseCookies = false });
        var counter = new StorageCounter(app, string.Join(';',
            ["DefaultEndpointsProtocol=http", $"AccountName={DevAccount}", $"AccountKey={DevKey}",
             .. Services.Select((s, i) => $"{char.ToUpperInvariant(s.Service[0])}{s.Service[1..]}Endpoint=http://127.0.0.1:{ports[i]}/{DevAccount}")]));
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        app.Run(async context =>
        {
            var index = Array.IndexOf(ports, context.Connection.LocalPort);
            var (service, azuritePort) = Services[index];
            var kind = Kind(service, context.Request.Method, context.Request.Path.Value ?? "", context.Request.Query);
            var path = context.Request.Path.Value ?? "";
            if (kind != "queue.dequeue")
            {
                counter.Count(kind, path);
                await forwarder.SendAsync(context, $"http://127.0.0.1:{azuritePort}/", invoker);
                return;
            }

            // A dequeue: look at the answer to tell a message from an empty poll, then pass it on unchanged.
            var original = context.Response.Body;
            using var buffer = new MemoryStream();
            context.Response.Body = buffer;
            try
            {
                await forwarder.SendAsync(context, $"http://127.0.0.1:{azuritePort}/", invoker);
            }
            finally
            {
                context.Response.Body = original;
            }

            var hit = System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length).Contains("<QueueMessage>", StringComparison.Ordinal);
            counter.Count(hit ? "queue.dequeue" : "queue.dequeue.empty", path);
            buffer.Position = 0;
            await buffer.CopyToAsync(original);
        });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            invoker.Dispose();
            throw;
        }

        return counter;
    }

    /// <summary>A request's kind: queue put/dequeue/delete/update/peek/other; table read/write; blob read/write.</summary>
    internal static string Kind(string service, string method, string path, IQueryCollection query)
    {
        var read = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        if (service != "queue")
        {
            return service + (read ? ".read" : ".write");
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries); // account, queue, "messages", [id]
        if (segments.Length < 3 || segments[2] != "messages")
        {
            return read ? "queue.read" : "queue.write";
        }

        return segments.Length == 3
            ? HttpMethods.IsPost(method) ? "queue.put"
                : read ? (query.TryGetValue("peekonly", out var p) && p == "true" ? "queue.peek" : "queue.dequeue")
                : "queue.clear"
            : HttpMethods.IsDelete(method) ? "queue.delete" : "queue.update";
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}

/// <summary>One request the counter saw: when (since the counter started), its kind, and the queue or table it named.</summary>
public sealed record TracedRequest(TimeSpan At, string Kind, string Target);
