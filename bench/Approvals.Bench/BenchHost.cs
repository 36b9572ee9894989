using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Approvals.Core.Http;
using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Approvals.Local.Actions;
using Approvals.Local.Emulator;
using Approvals.Local.Hosting;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Approvals.Bench;

/// <summary>A local host in this process, driven over its public HTTP API, with hooks on the emulator to know when a
/// petition exists and when the decision webhook was sent.</summary>
public sealed class BenchHost : IAsyncDisposable
{
    readonly RunningHost host;
    readonly FileUserDirectory log; // our own reader of the directory's log, not the host's instance
    readonly ConcurrentDictionary<string, TaskCompletionSource<string>> petitions = new(StringComparer.Ordinal);

    public HttpClient Http { get; }
    public IServiceProvider Services => host.Services;
    public string DataDirectory { get; }
    public string Engine { get; }
    public IndentEmulator Emulator { get; }
    public DurableTaskClient Durable { get; }
    public FaultInjector Faults { get; }

    BenchHost(RunningHost host, string dataDirectory)
    {
        this.host = host;
        DataDirectory = dataDirectory;
        log = new FileUserDirectory(dataDirectory, TimeProvider.System);
        Engine = host.EngineDescription;
        Http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        // The requester and the approver are people of the directory, as four eyes requires.
        FileUserDirectory.EnsurePerson(dataDirectory, "bench@local");
        FileUserDirectory.EnsurePerson(dataDirectory, Approver);
        Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", host.MintToken("bench@local", lifetime: TimeSpan.FromHours(8)));
        Emulator = host.Services.GetRequiredService<IndentEmulator>();
        Durable = host.Services.GetRequiredService<DurableTaskClient>();
        Faults = host.Services.GetRequiredService<FaultInjector>();
        Emulator.EventsRaised += events =>
        {
            foreach (var e in events)
            {
                if (e.EventType == IndentEventTypes.Request && e.Resources is { Count: > 0 } r && r[0].Labels is { } labels && labels.TryGetValue(WorkflowLabels.Instance, out var id))
                {
                    petitions.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(e.PetitionName!);
                }
            }
        };
    }

    public static async Task<BenchHost> StartAsync(Dictionary<string, string?> settings)
    {
        var data = Path.Combine(Path.GetTempPath(), "approvals-bench", Guid.NewGuid().ToString("N"));
        var all = new Dictionary<string, string?>
        {
            [IndentOptions.TokenSetting] = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJiZW5jaEBhY21lLnRlc3QifQ.YmVuY2g",
            ["INDENT_WEBHOOK_SECRET"] = "whsec_bench_0123456789",
        };
        foreach (var (k, v) in settings)
        {
            all[k] = v;
        }

        var host = await LocalHost.StartAsync(new LocalHostOptions
        {
            Port = 0,
            DataDirectory = data,
            // The emulator keeps its petitions in memory, as `serve` does by default; the local directory's log still records every reset.
            PersistEmulator = all.ContainsKey("AzureWebJobsStorage"),
            LogLevel = LogLevel.Error,
            Configuration = new ConfigurationBuilder().AddInMemoryCollection(all).Build(),
        });
        return new BenchHost(host, data);
    }

    /// <summary>Adds the users a scenario will reset to the local directory, before the clock starts.</summary>
    public void Know(IEnumerable<string> users) =>
        FileUserDirectory.AddPeople(DataDirectory, users.Select(u => new LocalPerson(u, u, u + "@local")));

    public async Task<string> StartAsync(string user)
    {
        using var response = await Http.PostAsJsonAsync("api/password-resets", new PasswordResetBody { UserId = user, Reason = "benchmark" }, ApiJsonContext.Default.PasswordResetBody);
        if (response.StatusCode != System.Net.HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"start failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        var started = await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.StartedResponse);
        petitions.GetOrAdd(started!.Id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
        return started.Id;
    }

    public Task<string> PetitionAsync(string id) => petitions.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Approve(string petition) =>
        Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Approve, Reason = "benchmark" }, Approver);

    const string Approver = "bench-approver@acme.test";

    public async Task<string> CompletionAsync(string id, CancellationToken cancellationToken)
    {
        var metadata = await Durable.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, cancellationToken);
        return ApprovalsApi.ToView(metadata).Status;
    }

    /// <summary>When each user's password was set (the action), from the local directory's log.</summary>
    public IReadOnlyDictionary<string, LocalUser> Users() => log.All();

    public static Dictionary<string, long> Calls() => new(EmulatorEndpoints.CallCounts);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await host.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
