using DurableTask.AzureStorage;
using DurableTask.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Approvals.Local.Engine;

/// <summary>The embedded durable engine: DurableTask's in-process gRPC sidecar (<c>TaskHubGrpcServer</c>) over the
/// in-memory service or over Azure Storage, the very backend Durable Functions uses in Azure. A hosted service, added
/// before the durable worker so it is listening when the worker connects; the worker and client of the host reach it
/// over <see cref="Channel"/>, a loopback HTTP/2 channel whose port is chosen up front.</summary>
public sealed class DurableEngine : IHostedService, IAsyncDisposable
{
    readonly EngineOptions options;
    readonly ILoggerFactory loggerFactory;
    readonly int port;
    WebApplication? sidecar;
    EngineService? service;

    public DurableEngine(EngineOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        this.loggerFactory = loggerFactory;
        port = Hosting.FreePorts.Pick(System.Net.IPAddress.Loopback);
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions
        {
            MaxReceiveMessageSize = 64 * 1024 * 1024,
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
        });
        Description = options.IsDurable
            ? $"Azure Storage (task hub '{options.TaskHub}', {DescribeStorage(options.StorageConnectionString!)}) — approvals survive a restart"
            : "in memory — pending approvals do not survive a restart (set AzureWebJobsStorage for a durable backend)";
    }

    public GrpcChannel Channel { get; }
    public EngineService Service => service ?? throw new InvalidOperationException("The durable engine has not started.");
    public string Description { get; }
    public bool IsDurable => options.IsDurable;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        IOrchestrationService inner;
        if (options.IsDurable)
        {
            var storage = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
            {
                TaskHubName = options.TaskHub,
                StorageAccountClientProvider = ClientProvider(options),
                // The cap that matters on Azure Storage is the storage account (Azurite: one node thread); 2,000
                // fetches in flight only queue there. The in-memory engine gets the high cap (see EngineService).
                MaxConcurrentTaskOrchestrationWorkItems = Math.Min(options.MaxConcurrency, 200),
                MaxConcurrentTaskActivityWorkItems = Math.Min(options.MaxConcurrency, 200),
                MaxQueuePollingInterval = options.MaxQueuePollingInterval,
                PartitionCount = options.PartitionCount,
                // A host killed mid-work item leaves its messages invisible until this expires. 30 s keeps crash
                // recovery quick on a laptop; under heavy load a work item can wait longer than that for a worker
                // slot and be dequeued twice (harmless, but noisy), so benchmarks use Durable Functions' 5 minutes.
                ControlQueueVisibilityTimeout = options.VisibilityTimeout,
                WorkItemQueueVisibilityTimeout = options.VisibilityTimeout * 2,
                // Partition leases in a table, owned by worker name: a host restarted after a crash (same machine, same
                // name) takes its partitions back at once instead of waiting for blob leases it cannot renew to expire.
                UseTablePartitionManagement = true,
                LoggerFactory = loggerFactory,
            });
            await storage.CreateIfNotExistsAsync();
            inner = storage;
        }
        else
        {
            inner = new InMemoryOrchestrationService(loggerFactory);
        }

        service = new EngineService(inner, options.IsDurable ? Math.Min(options.MaxConcurrency, 200) : options.MaxConcurrency, recordHistory: !options.IsDurable);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(System.Net.IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2);
            // The worker's work-item stream, activity completions and client calls share this connection: the
            // default 100 concurrent streams would queue calls under load.
            k.Limits.Http2.MaxStreamsPerConnection = 2000;
            // Kestrel aborts a connection whose peer reads (or sends) slower than its minimum data rates. Under a burst
            // (10,000 approvals at once) a busy worker can fall behind on its work-item stream for a few seconds; on this
            // loopback connection to our own worker that is load, not an attack, and an abort strands work items.
            k.Limits.MinResponseDataRate = null;
            k.Limits.MinRequestBodyDataRate = null;
        });
        builder.Services.AddSingleton(loggerFactory);
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<IOrchestrationService>(service);
        builder.Services.AddSingleton<IOrchestrationServiceClient>(service);
        builder.Services.AddSingleton<TaskHubGrpcServer>();
        sidecar = builder.Build();
        sidecar.MapGrpcService<TaskHubGrpcServer>();
        await sidecar.StartAsync(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (sidecar is not null)
        {
            await sidecar.StopAsync(cancellationToken);
        }

        // The sidecar's own stop of the service is fire-and-forget and may still be draining: stop it here too (once,
        // bounded, see EngineService), or a stopped host goes on polling its task hub (measured: its whole idle rate).
        if (service is { Inner: AzureStorageOrchestrationService })
        {
            await service.StopAsync(isForced: true);
        }
    }

    static StorageAccountClientProvider ClientProvider(EngineOptions options)
    {
        var connection = options.StorageConnectionString!;
        if (options.HoldDeleteOf is not { } activity || options.FaultPointDirectory is not { } faults)
        {
            return new StorageAccountClientProvider(connection);
        }

        var queues = new Azure.Storage.Queues.QueueClientOptions();
        queues.AddPolicy(new HeldWorkItemDelete(activity, Path.Combine(faults, "workitem-delete-held." + activity)), Azure.Core.HttpPipelinePosition.PerCall);
        return new StorageAccountClientProvider(
            StorageServiceClientProvider.ForBlob(connection),
            StorageServiceClientProvider.ForQueue(connection, queues),
            StorageServiceClientProvider.ForTable(connection));
    }

    static string DescribeStorage(string connectionString) =>
        connectionString.Contains("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase) || connectionString.Contains("127.0.0.1", StringComparison.Ordinal)
            ? "Azurite on this machine"
            : "an Azure Storage account";

    public async ValueTask DisposeAsync()
    {
        if (sidecar is not null)
        {
            await sidecar.DisposeAsync();
        }

        Channel.Dispose();
        (service?.Inner as IDisposable)?.Dispose();
    }
}
