using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Approvals.Core.Http;
using Approvals.Core.Workflow;
using Approvals.EndToEnd.Tests.Support;

namespace Approvals.EndToEnd.Tests;

/// <summary>The README and DEPLOY as a newcomer meets them: the local shell blocks run unchanged against a fresh host,
/// every block is ASCII (it pastes), every <c>docs/…</c> link, anchor, section and step reference resolves, and every
/// status and field the API returns is in the README.</summary>
public sealed partial class DocsTests
{
    static readonly string[] Documents = ["README.md", "docs/DEPLOY.md"];

    /// <summary>The README's host listens on the default port; the tour's commands name it.</summary>
    const int TourPort = 7071;

    sealed record ShellBlock(string Document, int Line, string Text)
    {
        /// <summary>A block for Azure (az, azd, the infra scripts, placeholders such as &lt;app&gt;, https endpoints): not
        /// run here.</summary>
        public bool ForAzure => AzureCommand().IsMatch(Text);

        public List<string> Commands => Text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();

        /// <summary>The block that runs the host in a terminal of its own.</summary>
        public bool Serves => Commands.Count == 1 && Serve().IsMatch(Commands[0]);

        public override string ToString() => $"{Document}:{Line}";
    }

    static List<ShellBlock> Blocks(string document)
    {
        var text = File.ReadAllText(Path.Combine(Repo.Root, document));
        return ShellFence().Matches(text).Select(m => new ShellBlock(document, text[..m.Index].Count(c => c == '\n') + 1, m.Groups[1].Value)).ToList();
    }

    [Fact]
    public void ShellBlocks_AsciiOnly_SoTheyPaste()
    {
        var blocks = Documents.SelectMany(Blocks).ToList();

        Assert.NotEmpty(blocks);
        foreach (var block in blocks)
        {
            var odd = block.Text.Where(c => c > '~' || (c < ' ' && c != '\n')).Distinct().ToArray();
            Assert.True(odd.Length == 0, $"{block}: characters that do not paste into a shell: {string.Join(" ", odd.Select(c => $"U+{(int)c:X4}"))}");
        }
    }

    [Fact]
    public async Task ReadmeAndDeployLocalShellBlocks_RunUnchanged_AgainstAFreshHost()
    {
        var blocks = Documents.SelectMany(Blocks).Where(b => !b.ForAzure).ToList();
        var serve = Assert.Single(blocks, b => b.Serves);
        var tour = blocks.Where(b => !b.Serves).ToList();
        Assert.NotEmpty(tour);
        Assert.True(IsFree(TourPort), $"port {TourPort}, which the README's tour uses, is taken on this machine");
        var data = Repo.NewDataDirectory();
        var environment = ShellEnvironment(data);

        await using var host = Shell.Start(serve.Text, environment);
        await host.WaitForHealthAsync(new Uri($"http://127.0.0.1:{TourPort}/api/health"), TimeSpan.FromSeconds(60));
        var output = new StringBuilder();
        foreach (var block in tour)
        {
            var result = await Shell.RunAsync(block.Text, environment, TimeSpan.FromSeconds(150));
            Assert.True(result.ExitCode == 0, $"{block} exited {result.ExitCode}:\n{result.Output}\n{result.Error}\nhost:\n{host.Output}");
            output.Append(result.Output);
        }

        // What the tour promises, from what it printed: an id captured, the password collected once, both CLI runs done.
        var printed = output.ToString();
        Assert.Matches(@"approval reset-password-key-[0-9a-f]{16}: http://127\.0\.0\.1:7071/api/approvals/reset-password-key-", printed);
        Assert.Contains("\"password\":", printed, StringComparison.Ordinal);
        Assert.Contains("done: password reset user:123", printed, StringComparison.Ordinal);
        Assert.Matches(@"done: access to Production until \d\d:\d\d", printed);
    }

    [Fact]
    public void DocsLinksSectionsAndStepReferences_Resolve()
    {
        var problems = new List<string>();
        foreach (var (file, text) in ReferencingFiles())
        {
            foreach (Match link in DocsLink().Matches(text))
            {
                var target = Path.Combine(Repo.Root, "docs", link.Groups[1].Value + ".md");
                if (!File.Exists(target))
                {
                    problems.Add($"{file}: {link.Value} does not exist");
                }
                else if (link.Groups[2].Success && !Anchors(target).Contains(link.Groups[2].Value))
                {
                    problems.Add($"{file}: {link.Value} names no heading");
                }
                else if (link.Groups[3].Success && !Headings(target).Any(h => h.Contains(link.Groups[3].Value, StringComparison.OrdinalIgnoreCase)))
                {
                    problems.Add($"{file}: {link.Value} names no section");
                }
                else if (link.Groups[4].Success && link.Groups[1].Value == "DEPLOY" && !DeploySteps().Contains(link.Groups[4].Value))
                {
                    problems.Add($"{file}: {link.Value}: DEPLOY has no such step");
                }
            }

            foreach (Match relative in MarkdownLink().Matches(text))
            {
                var target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.Combine(Repo.Root, file))!, relative.Groups[1].Value));
                if (!File.Exists(target))
                {
                    problems.Add($"{file}: link {relative.Groups[1].Value} does not exist");
                }
                else if (relative.Groups[2].Success && !Anchors(target).Contains(relative.Groups[2].Value))
                {
                    problems.Add($"{file}: link {relative.Value} names no heading");
                }
            }
        }

        // DEPLOY's own "step N" and "(step N)" references.
        var deploy = File.ReadAllText(Path.Combine(Repo.Root, "docs", "DEPLOY.md"));
        foreach (Match step in StepReference().Matches(deploy))
        {
            if (!DeploySteps().Contains(step.Groups[1].Value))
            {
                problems.Add($"docs/DEPLOY.md: {step.Value}: no such step");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Deploy_IsARunbook_PrerequisitesAndStepsInOrderFirst_ResetAndAccessCheckedEndToEnd()
    {
        var headings = File.ReadAllLines(Path.Combine(Repo.Root, "docs", "DEPLOY.md")).Where(l => l.StartsWith("## ", StringComparison.Ordinal)).Select(l => l[3..]).ToList();
        int At(string start) => headings.FindIndex(h => h.StartsWith(start, StringComparison.Ordinal));
        var steps = headings.Select((h, i) => (Match: Regex.Match(h, @"^(\d+)\.\s"), Index: i)).Where(s => s.Match.Success).ToList();

        Assert.Equal(0, At("Prerequisites"));
        Assert.Equal(Enumerable.Range(0, steps.Count), steps.Select(s => int.Parse(s.Match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(Enumerable.Range(steps[0].Index, steps.Count), steps.Select(s => s.Index)); // the steps follow one another
        Assert.True(At("Settings that must reach the app") is > 0 and var settings && settings < steps[0].Index, "the settings table comes before the steps");
        Assert.True(At("What gets created") > steps[^1].Index && At("Why it is built this way") > steps[^1].Index, "what is created, and why, come after the steps");
        var check = File.ReadAllText(Path.Combine(Repo.Root, "docs", "DEPLOY.md")).Split("\n## ").Single(section => section.StartsWith(headings[At("5. Check it end to end")], StringComparison.Ordinal));
        // With the installed tool, signing in by itself: no token fetched by hand.
        Assert.Contains("dotnet tool install --global", check, StringComparison.Ordinal);
        Assert.Contains("approvals reset-password ", check, StringComparison.Ordinal);
        Assert.Contains("approvals access request ", check, StringComparison.Ordinal);
        Assert.DoesNotContain("get-access-token", check, StringComparison.Ordinal);
        Assert.DoesNotContain("APPROVALS_TOKEN=", check, StringComparison.Ordinal);
        Assert.Contains("az ad group member check", check, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryStatusAndFieldTheApiReturns_IsInTheReadmesHttpApi()
    {
        var readme = File.ReadAllText(Path.Combine(Repo.Root, "README.md"));
        var api = readme[readme.IndexOf("\n## HTTP API", StringComparison.Ordinal)..];
        api = api[..api.IndexOf("\n## ", 4, StringComparison.Ordinal)];
        Type[] returned =
        [
            typeof(StartedResponse), typeof(CancelAccepted), typeof(HealthView), typeof(ApprovalView), typeof(RequesterView), typeof(TargetView),
            typeof(CredentialView), typeof(ApprovalResultView), typeof(AccessView), typeof(HistoryView), typeof(AuditEntry), typeof(CredentialResponse),
            typeof(ResourcesView), typeof(RequestableResourceView),
        ];
        var fields = returned.SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)).Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)).Distinct();
        var statuses = Constants(typeof(ApprovalStatuses)).Concat(Constants(typeof(CredentialStates)).Where(s => s != CredentialStates.Destroyed)) // destroyed is said in a 410's detail, never a field
            .Append("cancelling"); // the cancel's 202 body (ApprovalsApi.CancelAsync)

        var missing = fields.Where(f => !Regex.IsMatch(api, $@"\b{f}\b")).Concat(statuses.Where(s => !api.Contains($"`{s}`", StringComparison.Ordinal))).ToList();

        Assert.True(missing.Count == 0, "not in the README's HTTP API: " + string.Join(", ", missing));
    }

    static IEnumerable<string> Constants(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!);

    /// <summary>Every file that may point a reader at the docs: the READMEs, the docs, and the messages in the code.</summary>
    static IEnumerable<(string File, string Text)> ReferencingFiles()
    {
        var root = Repo.Root;
        var files = new[] { "README.md" }
            .Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Select(f => Path.GetRelativePath(root, f)))
            .Concat(new[] { "src", "infra" }.SelectMany(d => Directory.GetFiles(Path.Combine(root, d), "*.*", SearchOption.AllDirectories))
                .Where(f => f.EndsWith(".md", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".sh", StringComparison.Ordinal))
                .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                .Select(f => Path.GetRelativePath(root, f)));
        return files.Select(f => (f, File.ReadAllText(Path.Combine(root, f))));
    }

    static List<string> Headings(string path) =>
        File.ReadAllLines(path).Where(l => l.StartsWith('#')).Select(l => l.TrimStart('#').Trim()).ToList();

    /// <summary>GitHub's anchors: lower case, punctuation dropped, spaces to hyphens.</summary>
    static HashSet<string> Anchors(string path) =>
        Headings(path).Select(h => "#" + Regex.Replace(h.ToLowerInvariant(), @"[^\p{L}\p{N} _-]", "").Replace(' ', '-')).ToHashSet(StringComparer.Ordinal);

    /// <summary>DEPLOY's numbered steps: "## 3. …" is step 3, "### 3b. …" step 3b.</summary>
    static HashSet<string> DeploySteps() =>
        Headings(Path.Combine(Repo.Root, "docs", "DEPLOY.md")).Select(h => Regex.Match(h, @"^(\d+[a-z]?)\.\s")).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

    static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The reader's shell: a fresh data directory, and <c>dotnet run --project src/Local -- …</c> running the
    /// build under test (what <c>dotnet run</c> would build) instead of building again — a shim first on PATH passes
    /// every other <c>dotnet</c> command through unchanged.</summary>
    static Dictionary<string, string> ShellEnvironment(string data)
    {
        var bin = Path.Combine(data, "shim");
        Directory.CreateDirectory(bin);
        var dotnet = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "dotnet")).FirstOrDefault(File.Exists) ?? "dotnet";
        var shim = Path.Combine(bin, "dotnet");
        File.WriteAllText(shim, $"""
            #!/usr/bin/env bash
            if [ "$1" = run ] && [ "$2" = --project ] && [ "$3" = src/Local ] && [ "$4" = -- ]; then shift 4; exec '{dotnet}' '{Repo.HostDll}' "$@"; fi
            exec '{dotnet}' "$@"

            """);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return new Dictionary<string, string>
        {
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["APPROVALS_DATA_DIR"] = data,
        };
    }

    [GeneratedRegex(@"^```(?:bash|sh|shell)\n(.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex ShellFence();

    [GeneratedRegex(@"(^|[\s;|&(])(az|azd)\s|infra/scripts/|<[A-Za-z][^<>\n]*>|https://", RegexOptions.Multiline)]
    private static partial Regex AzureCommand();

    [GeneratedRegex(@"\sserve(\s|$)")]
    private static partial Regex Serve();

    /// <summary><c>docs/X.md</c>, with an anchor, a quoted section (<c>docs/X.md, "Y"</c> or <c>docs/X.md ("Y"</c>) or a
    /// step (<c>docs/DEPLOY.md, step 3</c>).</summary>
    [GeneratedRegex(@"docs/([A-Z]+)\.md(?:(#[a-z0-9-]+)|,? \(?""([^""\n]+)""|,? steps? (\d+[a-z]?))?")]
    private static partial Regex DocsLink();

    /// <summary>Relative markdown links to .md files: <c>](../../docs/DEPLOY.md#x)</c>.</summary>
    [GeneratedRegex(@"\]\((?!https?:)([^)#\s]+\.md)(#[^)\s]+)?\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"\bsteps? (\d+[a-z]?)\b")]
    private static partial Regex StepReference();
}
