using System.Text.RegularExpressions;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.Extensions.Logging;

namespace Approvals.Local.Engine;

/// <summary>Which durable backend the local host runs on.</summary>
public sealed class EngineOptions
{
    public const string StorageSetting = "AzureWebJobsStorage";
    public const string TaskHubSetting = "TASKHUB_NAME";

    /// <summary>Azure Storage engine only: the longest an idle worker waits between queue polls (milliseconds).</summary>
    public const string QueuePollingSetting = "APPROVALS_ENGINE_MAX_QUEUE_POLLING_MS";

    /// <summary>An Azure Storage connection string (e.g. <c>UseDevelopmentStorage=true</c> for Azurite); <c>null</c> for in memory.</summary>
    public string? StorageConnectionString { get; set; }

    public string TaskHub { get; set; } = "approvals";

    /// <summary>Concurrent orchestration and activity work items.</summary>
    public int MaxConcurrency { get; set; } = 2000;

    /// <summary>How often an idle Azure Storage worker polls its queues at most (Durable Functions' maxQueuePollingInterval).</summary>
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Azure Storage engine only: how long a dequeued message stays invisible (<c>APPROVALS_ENGINE_VISIBILITY_TIMEOUT_SECONDS</c>).</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public const string VisibilityTimeoutSetting = "APPROVALS_ENGINE_VISIBILITY_TIMEOUT_SECONDS";

    public static bool IsValidTaskHub(string name) => Regex.IsMatch(name, "^[A-Za-z][A-Za-z0-9]{2,44}$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50));
}

/// <summary>The embedded durable engine: DurableTask's in-process gRPC sidecar (<c>TaskHubGrpcServer</c>) over the
/// in-memory service or over Azure Storage, the very backend Durable Functions uses in Azure. The worker and client
/// of the host connect to it over a loopback HTTP/2 channel.</summary>
public sealed class DurableEngine : IAsyncDisposable
{
    readonly WebApplication sidecar;

    DurableEngine(WebApplication sidecar, GrpcChannel channel, EngineService service, string description, bool durable)
    {
        this.sidecar = sidecar;
        Channel = channel;
        Service = service;
        Description = description;
        IsDurable = durable;
    }

    public GrpcChannel Channel { get; }
    public EngineService Service { get; }
    public string Description { get; }
    public bool IsDurable { get; }

    public static async Task<DurableEngine> StartAsync(EngineOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        IOrchestrationService inner;
        string description;
        var durable = options.StorageConnectionString is not null;
        if (durable)
        {
            if (!EngineOptions.IsValidTaskHub(options.TaskHub))
            {
                throw new InvalidOperationException($"{EngineOptions.TaskHubSetting} must be 3 to 45 letters and digits, starting with a letter.");
            }

            var storage = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
            {
                TaskHubName = options.TaskHub,
                StorageAccountClientProvider = new DurableTask.AzureStorage.StorageAccountClientProvider(options.StorageConnectionString!),
                // The cap that matters on Azure Storage is the storage account (Azurite: one node thread); 2,000
                // fetches in flight only queue there. The in-memory engine gets the high cap (see EngineService).
                MaxConcurrentTaskOrchestrationWorkItems = Math.Min(options.MaxConcurrency, 200),
                MaxConcurrentTaskActivityWorkItems = Math.Min(options.MaxConcurrency, 200),
                MaxQueuePollingInterval = options.MaxQueuePollingInterval,
                // A host killed mid-work item leaves its messages invisible until this expires. 30 s keeps crash
                // recovery quick on a laptop; under heavy load a work item can wait longer than that for a worker
                // slot and be dequeued twice (harmless, but noisy), so benchmarks use Durable Functions' 5 minutes.
                ControlQueueVisibilityTimeout = options.VisibilityTimeout,
                WorkItemQueueVisibilityTimeout = options.VisibilityTimeout * 2,
                LoggerFactory = loggerFactory,
            });
            await storage.CreateIfNotExistsAsync();
            inner = storage;
            description = $"Azure Storage (task hub '{options.TaskHub}', {DescribeStorage(options.StorageConnectionString!)}) — approvals survive a restart";
        }
        else
        {
            inner = new InMemoryOrchestrationService(loggerFactory);
            description = "in memory — pending approvals do not survive a restart (set AzureWebJobsStorage for a durable backend)";
        }

        var service = new EngineService(inner, durable ? Math.Min(options.MaxConcurrency, 200) : options.MaxConcurrency, recordHistory: !durable);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2);
            // The worker's work-item stream, activity completions and client calls share this connection: the
            // default 100 concurrent streams would queue calls under load.
            k.Limits.Http2.MaxStreamsPerConnection = 2000;
        });
        builder.Services.AddSingleton(loggerFactory);
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<IOrchestrationService>(service);
        builder.Services.AddSingleton<IOrchestrationServiceClient>(service);
        builder.Services.AddSingleton<TaskHubGrpcServer>();
        var app = builder.Build();
        app.MapGrpcService<TaskHubGrpcServer>();
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = 64 * 1024 * 1024,
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
        });
        return new DurableEngine(app, channel, service, description, durable);
    }

    static string DescribeStorage(string connectionString) =>
        connectionString.Contains("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase) || connectionString.Contains("127.0.0.1", StringComparison.Ordinal)
            ? "Azurite on this machine"
            : "an Azure Storage account";

    public async ValueTask DisposeAsync()
    {
        await sidecar.StopAsync();
        await sidecar.DisposeAsync();
        Channel.Dispose();
        (Service.Inner as IDisposable)?.Dispose();
    }
}
