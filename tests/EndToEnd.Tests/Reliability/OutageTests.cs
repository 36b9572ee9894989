using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Approvals.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Approvals.EndToEnd.Tests.Reliability;

/// <summary>Suite 4: Indent outages injected into the emulator — 500 and 503 bursts, 429 with Retry-After, timeouts
/// and connection resets — during create, poll/verify and close. Every workflow ends correctly once Indent recovers,
/// and none acts on a failure.</summary>
[Trait("Category", "Reliability")]
public sealed class OutageTests(ITestOutputHelper output)
{
    static readonly string[] Kinds = ["500 burst", "503 burst", "429 + Retry-After", "timeouts", "connection resets"];
    static readonly string[] Phases = ["create", "poll and verify", "close"];

    [Fact]
    public async Task IndentOutages_EveryWorkflowEndsCorrectly_NoneActsOnAFailure()
    {
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory(), new() { ["APPROVALS_INDENT_ATTEMPT_TIMEOUT_SECONDS"] = "2" });
        var driver = new ReliabilityDriver(host);
        using var admin = host.IndentHttp();
        var repeats = Scale.Pick(1, 4);
        int total = 0, correct = 0, actedOnFailure = 0;
        for (var r = 0; r < repeats; r++)
        {
            foreach (var phase in Phases)
            {
                foreach (var kind in Kinds)
                {
                    total++;
                    var (ok, acted) = await RunAsync(driver, admin, kind, phase, $"out{r}{Array.IndexOf(Phases, phase)}{Array.IndexOf(Kinds, kind)}");
                    correct += ok ? 1 : 0;
                    actedOnFailure += acted ? 1 : 0;
                    output.WriteLine($"{phase} / {kind}: {(ok ? "correct" : "WRONG")}{(acted ? " ACTED ON FAILURE" : "")}");
                }
            }
        }

        var secretsFound = await driver.ScanForSecretsAsync();
        Figures.Record(output, "Indent outages", $"workflows that ended correctly once Indent recovered (of {total})", correct, total.ToString(System.Globalization.CultureInfo.InvariantCulture), correct == total);
        Figures.Record(output, "Indent outages", "workflows that acted on a failure", actedOnFailure, "0", actedOnFailure == 0);
        Figures.Record(output, "Indent outages", "server errors from our API (5xx)", driver.ServerErrors, "0", driver.ServerErrors == 0);
        Figures.Record(output, "secrets", "secrets found (outage run)", secretsFound, "0", secretsFound == 0);
        Assert.Equal(total, correct);
        Assert.Equal(0, actedOnFailure);
        Assert.Equal(0, secretsFound);
    }

    static object Fault(string kind, string? method, string path) => kind switch
    {
        "500 burst" => new { status = 500, count = 6, method, pathContains = path },
        "503 burst" => new { status = 503, count = 6, method, pathContains = path },
        "429 + Retry-After" => new { status = 429, count = 3, retryAfterSeconds = 1, method, pathContains = path },
        "timeouts" => new { latencyMs = 3000, method, pathContains = path },
        _ => new { resetConnections = 4, method, pathContains = path },
    };

    static async Task SetFaultAsync(HttpClient admin, string kind, string? method, string path)
    {
        using var response = await admin.PutAsJsonAsync("indent/_admin/faults", Fault(kind, method, path));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        if (kind == "timeouts")
        {
            // Latency has no count: Indent "recovers" after a few seconds of timeouts.
            _ = Task.Delay(5000).ContinueWith(async _ => await admin.DeleteAsync("indent/_admin/faults"), TaskScheduler.Default);
        }
    }

    async Task<(bool Correct, bool Acted)> RunAsync(ReliabilityDriver driver, HttpClient admin, string kind, string phase, string user)
    {
        string id;
        switch (phase)
        {
            case "create":
                await SetFaultAsync(admin, kind, "POST", "/petitions");
                id = await driver.StartAsync(user);
                var petition = await driver.PetitionOfAsync(id);
                await admin.DeleteAsync("indent/_admin/faults");
                await driver.ClaimAsync(petition, "access/approve");
                break;
            case "poll and verify":
                id = await driver.StartAsync(user);
                petition = await driver.PetitionOfAsync(id);
                await SetFaultAsync(admin, kind, "GET", "/petitions/");
                await driver.ClaimAsync(petition, "access/approve");
                break;
            default:
            {
                id = await driver.StartAsync(user);
                petition = await driver.PetitionOfAsync(id);
                await SetFaultAsync(admin, kind, "POST", "/claims");
                await driver.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"api/approvals/{id}/cancel"));
                var cancelled = await driver.WaitAsync(id, ReliabilityDriver.IsFinal, 90);
                await admin.DeleteAsync("indent/_admin/faults");
                var closed = false;
                for (var i = 0; i < 600 && !closed; i++)
                {
                    using var read = JsonDocument.Parse(await admin.GetStringAsync($"indent/v1/spaces/local/petitions/{petition}"));
                    closed = read.RootElement.GetProperty("state").GetProperty("status").GetProperty("phase").GetString() == "closed";
                    if (!closed)
                    {
                        await Task.Delay(100);
                    }
                }

                return (cancelled.GetProperty("status").GetString() == "cancelled" && closed, driver.Resets(user) != 0);
            }
        }

        var view = await driver.WaitAsync(id, ReliabilityDriver.IsFinal, 120);
        await admin.DeleteAsync("indent/_admin/faults");
        var completed = view.GetProperty("status").GetString() == "completed";
        var resets = driver.Resets(user);
        return (completed && resets == 1, resets > (completed ? 1 : 0));
    }
}
