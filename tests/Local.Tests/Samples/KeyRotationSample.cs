using System.Reflection;
using System.Security.Cryptography;
using Approvals.Core.Indent;
using Approvals.Local.Engine;
using Approvals.Local.Graph;
using Approvals.Local.Tests.Support;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Approvals.Local.Tests.Samples;

/// <summary>The KeyRotation sample, built from the packed Approvals.Core, running on the embedded durable engine (the
/// local host's <see cref="DurableEngine"/>, in memory) with the sample's own registrations; Indent and Microsoft Graph
/// are a local host's emulators. The sample's engine is its own, as another app's task hub is: Indent's webhooks reach
/// the local host, not it, so its approvals are woken by their poll (capped at 2 s here).</summary>
public sealed class KeyRotationSample : IAsyncLifetime
{
    readonly string store = Path.Combine(Path.GetTempPath(), "approvals-keystore-" + Guid.NewGuid().ToString("N")[..12]);
    DurableEngine? engine;

    public SampleBuild Build { get; } = new();
    public TestHost Approvals { get; private set; } = null!;
    public IHost App { get; private set; } = null!;
    public Assembly Sample { get; private set; } = null!;
    public DurableTaskClient Client => App.Services.GetRequiredService<DurableTaskClient>();

    /// <summary>The sample's own record of what ran: the key store's log, one line per rotation.</summary>
    public string RotationLog => Path.Combine(store, "rotations.jsonl");

    public async Task InitializeAsync()
    {
        await Build.BuildAsync();
        Approvals = await TestHost.StartAsync();
        Sample = new SampleLoadContext(Build.Output).LoadFromAssemblyPath(Path.Combine(Build.Output, "KeyRotation.dll"));
        var setup = Sample.GetType("KeyRotation.KeyRotationSetup", throwOnError: true)!;

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [IndentOptions.BaseUrlSetting] = new Uri(Approvals.Host.BaseAddress, "indent/v1").ToString(),
            [IndentOptions.SpaceSetting] = "acme",
            [IndentOptions.TokenSetting] = TestHost.Token,
            ["APPROVALS_SEAL_KEY"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
            ["GRAPH_BASE_URL"] = GraphEndpoints.BaseUrl(Approvals.Host.BaseAddress).ToString(),
            ["KEYROTATION_STORE_DIR"] = store,
        });
        engine = new DurableEngine(new EngineOptions(), NullLoggerFactory.Instance);
        builder.Services.AddHostedService(_ => engine);
        // The app's identity towards Graph: on a laptop, a token from the local issuer (in Azure, its managed identity).
        builder.Services.AddSingleton(Approvals.Host.Services.GetRequiredService<Azure.Core.TokenCredential>());
        setup.GetMethod("AddKeyRotation")!.Invoke(null, [builder.Services, builder.Configuration]);
        builder.Services.AddDurableTaskWorker(worker =>
        {
            worker.Services.AddOptions<Microsoft.DurableTask.Worker.Grpc.GrpcDurableTaskWorkerOptions>(worker.Name).Configure(grpc => grpc.Channel = engine.Channel);
            worker.UseGrpc();
            worker.AddTasks(tasks => setup.GetMethod("AddKeyRotationTasks")!.Invoke(null, [tasks]));
        });
        builder.Services.AddDurableTaskClient(client =>
        {
            client.Services.AddOptions<Microsoft.DurableTask.Client.Grpc.GrpcDurableTaskClientOptions>(client.Name).Configure(grpc => grpc.Channel = engine.Channel);
            client.UseGrpc();
        });
        App = builder.Build();
        await App.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await App.StopAsync(bound.Token);
            App.Dispose();
        }

        if (engine is not null)
        {
            await engine.DisposeAsync();
        }

        if (Approvals is not null)
        {
            await Approvals.DisposeAsync();
        }

        Build.Dispose();
        if (Directory.Exists(store))
        {
            Directory.Delete(store, recursive: true);
        }
    }
}
