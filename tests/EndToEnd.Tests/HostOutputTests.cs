using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Approvals.EndToEnd.Tests.Support;

namespace Approvals.EndToEnd.Tests;

/// <summary>What <c>approvals-local serve</c> prints: while it serves, the host's own lines and no information lines from
/// the frameworks or the retry pipeline; when it cannot start, one line that names the cause and the setting, and a
/// non-zero exit within 10 s.</summary>
public sealed partial class HostOutputTests
{
    [Fact]
    public async Task Serve_OverOneQuickstart_NoInformationLinesFromFrameworksOrRetryPipeline()
    {
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory(), null, null, "--auto-approve=0.5");

        var result = await Cli.RunAsync(host.CliEnvironment(), TimeSpan.FromSeconds(90), "reset-password", "--user", "123", "--reason", "to recover account", "--api", host.BaseAddress.ToString());

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        var log = host.Output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        // The host does log information lines (its own), so a quiet framework is a filter, not silence.
        Assert.Contains(log, l => OwnInformationLine().IsMatch(l));
        Assert.DoesNotContain(log, l => QuietInformationLine().IsMatch(l));
    }

    public static TheoryData<string, string> CannotStart => new()
    {
        { "storage unreachable", "AzureWebJobsStorage" },
        { "storage malformed", "AzureWebJobsStorage" },
        { "port in use", "--port" },
        { "secret missing", "INDENT_API_TOKEN" },
    };

    [Theory]
    [MemberData(nameof(CannotStart))]
    public async Task Serve_CannotStart_OneLineNamingTheSetting_NonZeroExitWithin10s(string cause, string setting)
    {
        var data = Repo.NewDataDirectory();
        var free = Repo.FreePort(); // nothing listens there: never the shared Azurite
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = cause == "port in use" ? ((IPEndPoint)taken.LocalEndpoint).Port : 0;
        var environment = TestSettings.Environment(data, cause switch
        {
            "storage unreachable" => new() { ["AzureWebJobsStorage"] = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Convert.ToBase64String(new byte[64])};BlobEndpoint=http://127.0.0.1:{free}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{free}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{free}/devstoreaccount1;" },
            "storage malformed" => new() { ["AzureWebJobsStorage"] = "AccountName;=devstoreaccount1;;" },
            "secret missing" => new() { ["INDENT_API_TOKEN"] = "", ["INDENT_BASE_URL"] = $"http://127.0.0.1:{free}/v1", ["INDENT_SPACE"] = "acme" },
            _ => null,
        });
        var clock = Stopwatch.StartNew();

        var result = await Cli.RunAsync(environment, TimeSpan.FromSeconds(10), "serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        clock.Stop();
        Assert.NotEqual(0, result.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{cause}: exited after {clock.Elapsed}");
        var lines = (result.Output + result.Error).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.Contains(setting, line, StringComparison.Ordinal);
    }

    /// <summary>A console line at information level from one of the categories kept at warning unless --verbose.</summary>
    [GeneratedRegex(@"^\d\d:\d\d:\d\d info: (Microsoft|System\.Net\.Http|DurableTask|Grpc|Polly)\b")]
    private static partial Regex QuietInformationLine();

    [GeneratedRegex(@"^\d\d:\d\d:\d\d info: Approvals\.")]
    private static partial Regex OwnInformationLine();
}
